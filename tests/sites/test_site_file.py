"""Site files (TOML or YAML): what a user may set without code, and the errors that say what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.sites import SiteFileError, load_site_file, make_profile, profiles


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toml_site_file_gives_profile_site_orgs_and_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "chuzhou.toml",
        """
profile = "lonsun"
site = "https://www.chuzhou.gov.cn"
orgs = ["滁州市地震局"]
rate = 0.5
path_prefix = "/chuzhou"
page_size = 20
hosts = ["*.chuzhou.gov.cn"]
empty_markers = ["本栏目暂无信息"]

[labels]
doc_number = ["文件编号"]

[selectors]
body = ["div.article-body"]
title = ["h2.art-title"]
""",
    )
    site = load_site_file(path)
    assert (site.profile, site.site, site.orgs) == ("lonsun", "https://www.chuzhou.gov.cn", ("滁州市地震局",))
    s = site.settings
    assert (s.rate, s.path_prefix, s.page_size, s.hosts) == (0.5, "/chuzhou", 20, ("*.chuzhou.gov.cn",))
    assert s.labels == {"doc_number": ("文件编号",)} and s.body_selectors == ("div.article-body",)
    profile = make_profile("lonsun", site.site, s)
    assert profile.index_url() == "https://www.chuzhou.gov.cn/chuzhou/public/"
    assert profile.layout.labels.field_for("文件编号：") == "doc_number"
    assert profile.layout.labels.field_for("文　　号：") == "doc_number"  # the platform's own labels stay


def test_a_yaml_site_file_reads_the_same(tmp_path: Path) -> None:
    path = write(tmp_path, "site.yaml", "site: http://x\norgs: [甲局]\nlabels:\n  written_date: [印发日期]\n")
    site = load_site_file(path)
    assert site.orgs == ("甲局",) and site.settings.labels == {"written_date": ("印发日期",)}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('pagesize = 20', r"unknown key\(s\) pagesize"),
        ('page_size = "20"', "page_size must be a whole number"),
        ('rate = -1', "rate must be a positive number"),
        ('path_prefix = "chuzhou"', "path_prefix must start with /"),
        ('[labels]\nwenhao = ["文件编号"]', r"unknown field\(s\) wenhao"),
        ('[selectors]\nbody = ["div > p"]', "expected a selector like"),
        ('orgs = [1, 2]', "orgs must be a list of organisation names"),
        ('site = ', "not valid TOML"),
    ],
)
def test_a_bad_site_file_is_refused_naming_file_key_and_expectation(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, "bad.toml", text + "\n")
    with pytest.raises(SiteFileError, match=says) as err:
        load_site_file(path)
    assert str(path) in str(err.value)


def test_a_missing_site_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SiteFileError, match="cannot read the site file"):
        load_site_file(tmp_path / "nope.toml")


def test_profiles_are_found_by_name_and_an_unknown_one_lists_them() -> None:
    assert "lonsun" in profiles()
    with pytest.raises(DisclosureAuditError, match="unknown site profile 'nope'; the profiles are: .*lonsun"):
        make_profile("nope", "http://x")
