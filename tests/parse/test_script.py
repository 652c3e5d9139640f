"""Reading a shell's list request from its script without running it, as a browser would evaluate it."""

from __future__ import annotations

import pytest

from disclosure_audit.parse.script import read_list_call, tokenize

METAS = {"SiteId": "6781", "ColumnName": "政策文件"}


def call(*scripts: str, metas=METAS, fields=None):
    return read_list_call(list(scripts), metas, fields or {})


def test_literals_in_an_ajax_call_with_the_first_page_from_the_loader() -> None:
    js = """
    var publicInfoParam = {labelName:"publicInfoList",siteId:6781,organId:6771,type:4,catId:677100,pageSize:15,
                           file:"\\/hfdzj\\/xxgk\\/publicInfoList_dzj"};
    function loadPublicInfoList(pageIndex) {
      $.ajax({url:"/site/label/8888", type:"GET", dataType:"html",
        data:$.extend({}, publicInfoParam, {pageIndex:pageIndex}),
        success:function (html) { $("#public_info_list").html(html); }});
    }
    loadPublicInfoList(1);
    """
    found = call(js)
    assert found is not None
    assert found.path == "/site/label/8888" and found.first_page_index == 1 and not found.unresolved
    assert found.params == {
        "labelName": "publicInfoList", "siteId": "6781", "organId": "6771", "type": "4", "catId": "677100",
        "pageSize": "15", "file": "/hfdzj/xxgk/publicInfoList_dzj",
    }  # fmt: skip


def test_variables_declared_anywhere_in_the_page_and_object_properties() -> None:
    head = 'var siteId = "6781", organId = "6771", webRoot = "/";'
    body = """
    var column = {catId: 677100, tpl: "/hfdzj/xxgk/publicInfoList_dzj"};
    function getPublicInfo(p) {
      $.get(webRoot + 'site/label/8888',
            {labelName: 'publicInfoList', siteId: siteId, organId: organId, catId: column.catId,
             file: column.tpl, pageIndex: p}, function (d) {});
    }
    getPublicInfo(0);
    """
    found = call(head, body)
    assert found is not None and not found.unresolved
    assert found.path == "/site/label/8888" and found.first_page_index == 0
    assert (found.params["siteId"], found.params["organId"], found.params["catId"]) == ("6781", "6771", "677100")
    assert found.params["file"] == "/hfdzj/xxgk/publicInfoList_dzj"


def test_concatenation_and_values_the_page_holds() -> None:
    js = """
    var dir = "/hfkjj/", kind = "publicInfoList_" + "kjj";
    var load = function (index) {
      Ls.ajax({url: "/site/label/" + 8888,
               data: {labelName: "publicInfoList", siteId: $("meta[name='SiteId']").attr("content"),
                      organId: document.getElementById("organId").value, catId: "6705" + "00",
                      file: dir + "xxgk/" + kind, pageIndex: index}});
    };
    load(1);
    """
    found = call(js, fields={"organId": "6705"})
    assert found is not None and not found.unresolved, found
    assert found.params["siteId"] == "6781" and found.params["organId"] == "6705"
    assert found.params["catId"] == "670500" and found.params["file"] == "/hfkjj/xxgk/publicInfoList_kjj"
    assert found.first_page_index == 1


def test_an_undeclared_variable_is_unresolved_by_name_never_its_name_as_a_value() -> None:
    js = """
    function q(pageIndex) {
      $.ajax({url: "/site/label/8888", data: {labelName: "publicInfoList", organId: organId, siteId: sid,
              catId: 1, pageIndex: pageIndex}});
    }
    q(1);
    """
    found = call(js)
    assert found is not None
    assert set(found.unresolved) == {"organId", "siteId"}
    assert "organId" not in found.params and "not declared" in found.unresolved["organId"]
    assert "pageIndex" not in found.unresolved  # the loader's own argument is the page the crawler asks for


def test_a_value_only_known_at_run_time_is_unresolved() -> None:
    js = """
    var parts = ["organ", "Id"], p = {labelName: "publicInfoList"};
    p[parts.join("")] = 6771;
    $.ajax({url: "/site/label/8888", data: {labelName: "publicInfoList", catId: Math.floor(677100.2)}});
    """
    found = call(js)
    assert found is not None and "catId" in found.unresolved


def test_no_list_request_gives_none() -> None:
    assert call("var a = 1; $('.nav li').hover(function () {});") is None
    assert call("") is None


@pytest.mark.parametrize(
    "source",
    ["var a = /[}{]/g; var b = 'x';", "var s = `tpl ${x}`;", "/* { */ var c = 1; // }", "var d = '\\u5408\\u80a5';"],
)
def test_the_tokenizer_keeps_going_over_regexes_templates_comments_and_escapes(source: str) -> None:
    toks = tokenize(source)
    assert toks and toks[-1].text == ";"
    if "u5408" in source:
        assert any(t.value == "合肥" for t in toks)
