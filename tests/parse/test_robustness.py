"""Garbage in, typed result out: no parser raises anything but ParseError, and the package keeps its wall."""

from __future__ import annotations

import ast
import random
import subprocess
import sys
from pathlib import Path

import pytest

import disclosure_audit.parse as parse
from disclosure_audit.parse import (
    ParseError,
    decode_html,
    normalize_item,
    parse_detail,
    parse_fragment,
    parse_index,
    parse_legal_text,
    parse_shell,
)
from disclosure_audit.parse.urls import resolve

BASE = "http://127.0.0.1:8321"
URL = f"{BASE}/public/6771/9100024.html"
_rng = random.Random(20201616)
JUNK_BYTES = bytes(_rng.randrange(256) for _ in range(5000))
GARBAGE = {
    "empty": "",
    "blank": " \n\t\u3000",
    "text": "没有任何标记的纯文本",
    "comment only": "<!-- nothing -->",
    "truncated tag": "<html><head><meta charset='utf-8'><title>t</ti",
    "unclosed table": "<table><tr><th>文号：<td>合震〔2020〕",
    "no table": "<html><body><h1>只有标题</h1><div id='zoom'><p>正文</p></div></body></html>",
    "nul and controls": "<p>\x00\x01\x02文号：\x1b</p>\x7f",
    "binary junk": decode_html(JUNK_BYTES, None),
    "junk as latin-1": JUNK_BYTES.decode("latin-1"),
    "xml declaration": '<?xml version="1.0" encoding="gbk"?><html><body><p>x</p></body></html>',
    "lone surrogate": "<p>\ud800</p>",
    "deep nesting": "<div>" * 5000 + "文号：" + "</div>" * 5000,
    "broken script": "<script>var listParams = {labelName: 'x', pageSize: ",
    "pager only": "<script>pageInfo({total:abc, pageSize:0})</script>",
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_gives_a_typed_result(name: str) -> None:
    text = GARBAGE[name]
    parsed = parse_detail(text, URL)
    item = normalize_item(parsed)
    assert set(item) == set(parse.ITEM_KEYS) | {"raw"}
    assert parsed.fields == {} or name == "unclosed table"
    assert isinstance(parse_index(text, BASE), list)
    shell = parse_shell(text, BASE)
    assert isinstance(shell.columns, list)
    page = parse_fragment(text, BASE)
    assert page.entries == [] and (page.page_count is None or page.page_count >= 1)
    legal = parse_legal_text(text)
    assert isinstance(legal["body"], str)


def test_empty_pages_say_so() -> None:
    parsed = parse_detail("", URL)
    assert parsed.is_empty and parsed.warnings == ["empty document"] and parsed.content_id == 9100024
    assert parse_detail(GARBAGE["no table"], URL).title == "只有标题"
    assert parse_detail(GARBAGE["no table"], URL).body_text == "正文"


def test_truncated_real_page_at_every_cut(replica, fetch) -> None:
    site, _ = replica(300, 0, 0)
    html = fetch(site, URL)
    table_end = html.index("</table>")
    for cut in range(0, len(html), 997):
        parsed = parse_detail(html[:cut], URL)
        normalize_item(parsed)
        if cut > table_end:
            assert parsed.fields["doc_number"] == "合震〔2020〕24号", cut


def test_not_text_is_a_parse_error_with_what_and_where() -> None:
    with pytest.raises(ParseError) as err:
        parse_detail(b"<html></html>", URL)  # type: ignore[arg-type]
    assert err.value.where == URL and "bytes" in err.value.what and URL in str(err.value)
    for fn in (parse_index, parse_shell, parse_fragment):
        with pytest.raises(ParseError):
            fn(None, BASE)  # type: ignore[arg-type]
    with pytest.raises(ParseError, match="bytes"):
        parse_legal_text(b"\xe5\x8f\x91")  # type: ignore[arg-type]


PACKAGE = Path(parse.__file__).resolve().parent
FORBIDDEN = ("disclosure_audit.http", "disclosure_audit.store", "disclosure_audit.replica")


def test_the_package_imports_no_network_database_or_replica_code() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            bad = [n for n in names if n.startswith(FORBIDDEN)]
            assert not bad, f"{path.name} imports {bad}"
    code = (
        "import sys, disclosure_audit.parse\n"
        f"bad = [m for m in sys.modules if m.startswith({FORBIDDEN!r})]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("java\tscript:alert(1)//x/public/6771/2.html", None),  # java&#9;script: as a browser reads it
        ("  JavaScript:void(0)", None),
        ("vbscript:msgbox(1)", None),
        ("file:///etc/passwd", None),
        ("data:text/html,<script>x</script>", None),
        ("ftp://files.example/a.pdf", None),
        ("\n/public/6771/1.html\r ", "http://site.example/public/6771/1.html"),
        ("/group1/M00/01/a.pdf\u3000", "http://site.example/group1/M00/01/a.pdf"),
        ("//other.example/a.pdf", "http://other.example/a.pdf"),  # kept: the crawl's host check refuses it
    ],
)
def test_only_web_links_are_kept_read_as_a_browser_reads_them(href: str, expected: str | None) -> None:
    assert resolve("http://site.example/public/6771/5.html", href) == expected


def test_a_script_link_dressed_with_an_entity_is_no_attachment_and_no_interpretation() -> None:
    html = (
        '<html><body><h1 class="newstitle">标题</h1><table><tr><th>索引号：</th><td>003249538/202101-00001</td></tr>'
        '</table><div class="wzcon j-fontContent"><p><a href="java&#9;script:alert(1)//a.pdf">附件.pdf</a></p></div>'
        '<div class="xgjd"><span class="xgjd_tt">相关解读：</span><ul><li>'
        '<a href="java&#10;script:alert(2)//public/6771/9.html">解读</a></li></ul></div></body></html>'
    )
    parsed = parse_detail(html, "http://site.example/public/6771/5.html")
    assert parsed.attachments == [] and parsed.interpretation_urls == []
