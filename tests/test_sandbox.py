"""Running a shell page's scripts in the sandbox to see which list requests it would send."""

from __future__ import annotations

import time

import pytest

from disclosure_audit.sandbox import SandboxError, record_requests, run_scripts

URL = "http://127.0.0.1:8321/public/column/6771?type=6&action=xinzheng"


def page(script: str, head: str = "") -> str:
    return (
        f'<html><head><meta name="SiteId" content="6781"><script>{head}</script>'
        '<script src="/assets/js/jquery.min.js"></script></head>'
        f'<body><input type="hidden" id="organId" value="6771"><script>{script}</script></body></html>'
    )


def test_a_request_built_at_run_time_is_recorded_with_every_value() -> None:
    script = """
    var parts = ["organ", "Id"], p = {labelName: "publicInfoList", catId: 677100};
    p[parts.join("")] = Number(document.getElementById("organId").value);
    p.siteId = $("meta[name='SiteId']").attr("content");
    $(function () { $.ajax({url: "/site/label/8888", data: $.extend({}, p, {pageIndex: 1})}); });
    """
    requests, errors = record_requests(page(script), URL, {"SiteId": "6781"}, {"organId": "6771"})
    assert errors == []
    assert [(r.url, r.method, r.via) for r in requests] == [("/site/label/8888", "GET", "$.ajax")]
    assert requests[0].data == {"labelName": "publicInfoList", "catId": 677100, "organId": 6771, "siteId": "6781",
                                "pageIndex": 1}  # fmt: skip


def test_every_tab_of_the_library_is_recorded() -> None:
    script = """
    var base = {labelName: "publicInfoList", type: 6, catIds: "677101"};
    function loadTab(tab, pageIndex) {
      Ls.ajax({url: "/site/label/8888",
               data: $.extend({}, base, {isInvalid: tab == 0 ? "0,3" : "1,2", publicDivId: "tab_0_" + tab,
                                         pageIndex: pageIndex})});
    }
    loadTab(0, 1);
    setTimeout(function () { loadTab(1, 1); }, 500);
    """
    requests, _ = record_requests(page(script), URL, {})
    assert [r.data["isInvalid"] for r in requests] == ["0,3", "1,2"]
    assert {r.via for r in requests} == {"Ls.ajax"}


def test_page_code_that_breaks_does_not_stop_the_next_script() -> None:
    requests, errors = record_requests(
        page("$.get('/site/label/8888', {labelName: 'publicInfoList'});", head="undefinedFunction();"), URL, {}
    )
    assert len(requests) == 1 and errors and "undefinedFunction" in errors[0]


def test_a_script_that_never_ends_is_stopped_with_a_clear_error() -> None:
    with pytest.raises(SandboxError, match="did not finish within 300 ms") as err:
        record_requests(page("while (true) {}"), URL, {}, timeout_ms=300)
    assert err.value.kind == "timeout"


def test_the_sandbox_has_no_network() -> None:
    requests, errors = record_requests(
        page("var x = typeof XMLHttpRequest + typeof fetch + typeof require; $.get('/x?labelName=' + x);"), URL, {}
    )
    assert requests[0].url == "/x?labelName=undefinedundefinedundefined"


def test_memory_outside_the_v8_heap_is_bounded_too() -> None:
    # typed arrays live outside the heap limit: once 2 GB of resident memory before the deadline
    grow = "var a = []; for (var i = 0; i < 40; i++) { a.push(new Uint8Array(50 * 1024 * 1024).fill(1)); }"
    shim = "var __cfg = %s; function __da_drain() { return 0; } function __da_result() { return '{}'; }"
    started = time.monotonic()
    with pytest.raises(SandboxError, match="more than 384 MB") as caught:
        run_scripts([grow], shim, {}, timeout_ms=4000)
    assert caught.value.kind == "memory" and time.monotonic() - started < 4
