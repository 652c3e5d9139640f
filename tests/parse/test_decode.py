"""decode_html: the charset comes from the header, then the page's <meta>, then detection; never raises."""

from __future__ import annotations

import pytest

from disclosure_audit.parse.decode import canonical_charset, decode_html, header_charset, meta_charset

TEXT = "合肥市财政局关于刘䶮同志任职的通知"  # 䶮 (U+4DAE) is in GB18030 but not in GBK


def page(charset_meta: str | None, text: str = TEXT) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">' if charset_meta else ""
    return f"<!DOCTYPE html><html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"


def test_the_sample_needs_gb18030() -> None:
    with pytest.raises(UnicodeEncodeError):
        TEXT.encode("gbk")


def test_header_charset_wins() -> None:
    body = page("utf-8").encode("gb18030")  # the meta lies, the header is right
    assert TEXT in decode_html(body, "text/html; charset=GB18030")


def test_meta_http_equiv_when_the_header_names_no_charset() -> None:
    body = page("gb18030").encode("gb18030")
    assert TEXT in decode_html(body, "text/html")


def test_meta_charset_attribute() -> None:
    body = f'<html><head><meta charset="gb18030"></head><body>{TEXT}</body></html>'.encode("gb18030")
    assert TEXT in decode_html(body, None)


@pytest.mark.parametrize("label", ["gbk", "GBK", "gb2312", "GB2312", "x-gbk", "cp936"])
def test_a_gbk_declaration_reads_as_gb18030(label: str) -> None:
    body = page(label).encode("gb18030")
    assert TEXT in decode_html(body, None)
    assert TEXT in decode_html(body, f"text/html; charset={label}")


def test_detection_tries_utf8_strictly_then_gb18030() -> None:
    assert TEXT in decode_html(page(None).encode("utf-8"), None)
    assert TEXT in decode_html(page(None).encode("gb18030"), "text/html")


def test_a_wrong_declaration_gives_way_to_what_fits() -> None:
    # declared UTF-8 but the bytes are GB18030 (sites do this): strict UTF-8 fails, GB18030 fits
    assert TEXT in decode_html(page("utf-8").encode("gb18030"), "text/html; charset=utf-8")


def test_a_java_default_latin1_header_does_not_garble_the_page() -> None:
    body = page("utf-8").encode("utf-8")
    assert TEXT in decode_html(body, "text/html;charset=ISO-8859-1")
    assert TEXT in decode_html(page(None).encode("gb18030"), "text/html;charset=ISO-8859-1")


def test_bom_wins() -> None:
    assert decode_html(b"\xef\xbb\xbf" + TEXT.encode(), "text/html; charset=gb18030") == TEXT


def test_unknown_charset_and_junk_never_raise() -> None:
    assert TEXT in decode_html(page("klingon-8").encode("utf-8"), "text/html; charset=nonsense")
    junk = bytes(range(256)) * 4
    assert isinstance(decode_html(junk, None), str)
    assert decode_html(b"", None) == ""


def test_charset_helpers() -> None:
    assert canonical_charset(" 'GBK' ") == "gb18030"
    assert canonical_charset("UTF8") == "utf-8"
    assert canonical_charset("nope") is None
    assert header_charset('text/html; charset="gb2312"') == "gb18030"
    assert header_charset(None) is None
    assert meta_charset(b'<meta name="x"><meta charset=gbk>') == "gb18030"
    assert meta_charset(b"<p>charset=gbk</p>") is None  # only inside a <meta>
