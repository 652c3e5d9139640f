"""HTML of the Airflow UI plugin's pages: one shared layout, inline CSS, nothing loaded from elsewhere.

Every value that comes from the database (crawled titles, URLs, organisation and column names, error
messages, evidence) goes through `esc`; an ``href`` is written only for an http(s) URL (`http_href`)
or for a path of this app built here. Chinese comes first, English beside it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif'
NONE = "—"

NAV = (
    ("findings", "问题清单", "Findings"),
    ("crawl", "采集", "Crawl health"),
    ("report", "年报", "Annual report"),
    ("docs/index.html", "数据文档", "Data Docs"),
)

RUN_STATUS = {
    "succeeded": "成功",
    "degraded": "降级",
    "failed": "失败",
    "abandoned": "中断",
    "running": "运行中",
}
SEVERITY = {"error": "错误", "warning": "警告", "info": "提示"}
CLOSE_REASON = {"passed": "已整改", "removed": "信息已撤下"}

CSS = (
    """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: FONTS; margin: 0; background: #f4f5f7; color: #1f2328; line-height: 1.6; font-size: 14px; }
header.top { background: #1d3557; color: #fff; padding: 0 24px; display: flex; align-items: center; gap: 28px;
  flex-wrap: wrap; }
header.top .brand { font-weight: bold; font-size: 16px; padding: 12px 0; }
header.top .en { color: #b8c7dc; }
header.top nav a { color: #e8eef7; text-decoration: none; padding: 13px 12px; display: inline-block;
  border-bottom: 3px solid transparent; }
header.top nav a.active { border-bottom-color: #f4a261; color: #fff; font-weight: bold; }
header.top nav a:hover { background: #274472; }
main.page { max-width: 1360px; margin: 0 auto; padding: 18px 24px 40px; }
h1 { font-size: 22px; margin: 6px 0 12px; }
h2 { font-size: 17px; margin: 24px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #1d3557; }
.en { color: #6a737d; font-size: 0.8em; font-weight: normal; margin-left: 0.5em; }
.card { background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: 12px 16px; margin: 10px 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: flex-end; }
form.filters label { display: flex; flex-direction: column; font-size: 13px; color: #444; }
form.filters select, form.filters input { font: inherit; padding: 4px 6px; min-width: 150px; border: 1px solid #b9c2cc;
  border-radius: 4px; background: #fff; }
form.filters input[type=number] { min-width: 90px; width: 110px; }
button { font: inherit; padding: 5px 16px; background: #1d3557; color: #fff; border: 0; border-radius: 4px;
  cursor: pointer; }
a.reset { font-size: 13px; }
table.grid { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
table.grid th, table.grid td { border: 1px solid #d8dee4; padding: 5px 7px; vertical-align: top; text-align: left; }
table.grid th { background: #eef1f5; white-space: nowrap; }
table.grid th .en { display: block; margin-left: 0; font-size: 11px; }
table.grid tr:nth-child(even) td { background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.nowrap, .nowrap { white-space: nowrap; }
td.title { min-width: 240px; max-width: 420px; word-break: break-all; }
td.ev { font-size: 12px; color: #444; max-width: 280px; word-break: break-all; }
code { font-family: "Noto Sans Mono CJK SC", "DejaVu Sans Mono", Consolas, monospace; font-size: 12px;
  background: #eef1f5; padding: 0 3px; border-radius: 3px; }
.sev { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 3px; margin-right: 4px; }
.sev-error { background: #fde2e1; color: #9b1c1c; } .sev-warning { background: #fff3cd; color: #7a5b00; }
.sev-info { background: #e1ecf7; color: #1d3557; }
.st { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; white-space: nowrap; }
.st-succeeded, .st-closed { background: #dcf1e0; color: #1e5b23; }
.st-degraded { background: #fff3cd; color: #7a5b00; } .st-failed { background: #fde2e1; color: #9b1c1c; }
.st-abandoned { background: #e6e6e6; color: #444; } .st-running, .st-open { background: #e1ecf7; color: #1d3557; }
.muted { color: #6a737d; } .small { font-size: 12px; }
.pager { display: flex; gap: 16px; align-items: center; margin: 10px 0; }
.msg { padding: 10px 14px; border-radius: 6px; margin: 12px 0; }
.msg.error { background: #fde2e1; border: 1px solid #e5a09b; }
.msg.info { background: #e1ecf7; border: 1px solid #9bb7d9; }
.links a { margin-right: 8px; white-space: nowrap; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; }
.kpi { background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.kpi b { display: block; font-size: 20px; }
"""
).replace("FONTS", FONTS)


def esc(value: Any) -> str:
    """`value` HTML-escaped for text or a double-quoted attribute (None shows as an empty string)."""
    return "" if value is None else html.escape(str(value), quote=True)


def http_href(url: Any) -> str | None:
    """`url` escaped for an href when it is an absolute http(s) URL, else None (javascript:, data: … are no links)."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if not text or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return esc(text)


def beijing(value: datetime | date | None) -> str:
    """A timestamp as Beijing time ``YYYY-MM-DD HH:MM`` (a date as it is; None as —)."""
    if value is None:
        return NONE
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(SHANGHAI)
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def bilingual(zh: str, en: str) -> str:
    """Chinese text with its English beside (both escaped)."""
    return f'{esc(zh)}<span class="en">{esc(en)}</span>'


def layout(root: str, active: str, title_zh: str, title_en: str, body: str) -> str:
    """A complete page: the top bar with the navigation, then `body` (already HTML)."""
    links = "".join(
        f'<a href="{esc(root)}/{path}"{" class=active" if path.split("/")[0] == active else ""}>'
        f'{esc(zh)} <span class="en">{esc(en)}</span></a>'
        for path, zh, en in NAV
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title_zh)} {esc(title_en)} · 信息公开审计</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        '<header class="top"><div class="brand">信息公开审计<span class="en">Disclosure audit</span></div>'
        f"<nav>{links}</nav></header>\n"
        f'<main class="page">\n<h1>{bilingual(title_zh, title_en)}</h1>\n{body}\n</main>\n</body>\n</html>\n'
    )


def message_page(root: str, title_zh: str, title_en: str, text_zh: str, text_en: str, detail: str = "") -> str:
    """A page that only says something went wrong (or is missing): Chinese, English, then the detail."""
    extra = f'<p class="small muted"><code>{esc(detail)}</code></p>' if detail else ""
    body = f'<div class="msg error"><p>{esc(text_zh)}</p><p>{esc(text_en)}</p>{extra}</div>'
    return layout(root, "", title_zh, title_en, body)


def _options(choices: Iterable[tuple[str, str]], selected: str | None, all_label: str) -> str:
    out = [f'<option value="">{esc(all_label)}</option>']
    for value, label in choices:
        mark = " selected" if selected is not None and value == selected else ""
        out.append(f'<option value="{esc(value)}"{mark}>{esc(label)}</option>')
    return "".join(out)


def _th(zh: str, en: str) -> str:
    return f'<th>{esc(zh)}<span class="en">{esc(en)}</span></th>'


# ------------------------------------------------------------------------------------------ findings


def _evidence(evidence: Any) -> str:
    if not isinstance(evidence, Mapping):
        return ""
    parts = []
    if "found" in evidence:
        parts.append(f"发现 found: {esc(_short(evidence.get('found')))}")
    if "expected" in evidence:
        parts.append(f"要求 expected: {esc(_short(evidence.get('expected')))}")
    return "<br>".join(parts)


def _short(value: Any, limit: int = 160) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def findings_page(
    root: str,
    rows: Sequence[Mapping[str, Any]],
    total: int,
    filters: Mapping[str, Any],
    options: Mapping[str, Sequence[tuple[str, str]]],
    limit: int,
    offset: int,
) -> str:
    """问题清单: the filter form, the findings of this page and links to the other pages."""
    phase = filters.get("phase")
    form = (
        f'<form class="filters card" method="get" action="{esc(root)}/findings">'
        f'<label>机关 Organisation<select name="org">{_options(options["orgs"], filters.get("org"), "全部 all")}'
        "</select></label>"
        f'<label>规则 Rule<select name="rule">{_options(options["rules"], filters.get("rule"), "全部 all")}'
        "</select></label>"
        f'<label>状态 Status<select name="status">'
        f"{_options([('open', '未整改 open'), ('closed', '已关闭 closed')], filters.get('status'), '全部 all')}"
        "</select></label>"
        f'<label>专项行动阶段 Campaign phase<select name="phase">'
        f"{_options(options['phases'], str(phase) if phase is not None else None, '不限 any')}</select></label>"
        f'<label>每页 Per page<input type="number" name="limit" min="1" max="500" value="{esc(limit)}"></label>'
        '<button type="submit">筛选 Filter</button>'
        f'<a class="reset" href="{esc(root)}/findings">清除 Reset</a></form>'
    )
    shown_to = offset + len(rows)
    summary = (
        f'<p class="muted">共 {esc(total)} 条，显示第 {esc(offset + 1 if rows else 0)}–{esc(shown_to)} 条 '
        f'<span class="en">{esc(total)} findings, showing {esc(offset + 1 if rows else 0)}–{esc(shown_to)}</span></p>'
    )
    heads = [
        _th("规则", "Rule"),
        _th("机关", "Organisation"),
        _th("对象", "Subject"),
        _th("信息标题", "Item title"),
        _th("证据", "Evidence"),
        _th("发现时间", "Opened (Beijing)"),
        _th("关闭时间", "Closed (Beijing)"),
    ]
    if phase is not None:
        heads.append(_th("整改状态", "Campaign status"))
    heads.append(_th("链接", "Links"))
    body_rows = []
    for r in rows:
        severity = str(r.get("severity") or "")
        sev = (
            f'<span class="sev sev-{esc(severity)}">{esc(SEVERITY.get(severity, severity))}</span>' if severity else ""
        )
        rule = f"{sev}<code>{esc(r.get('rule_id'))}</code><br>{esc(r.get('rule_title') or '')}"
        subject = esc(r.get("subject"))
        if r.get("column_name") and r.get("content_id") is None:
            subject += f'<br><span class="small muted">栏目 column: {esc(r.get("column_name"))}</span>'
        if r.get("closed_at") is not None:
            reason = str(r.get("close_reason") or "")
            closed = (
                f'<span class="nowrap">{esc(beijing(r.get("closed_at")))}</span><br>'
                f'<span class="st st-closed">{esc(CLOSE_REASON.get(reason, reason))} {esc(reason)}</span>'
            )
        else:
            closed = '<span class="st st-open">未整改 open</span>'
        links = []
        live = http_href(r.get("url"))
        if live:
            links.append(f'<a href="{live}" target="_blank" rel="noopener noreferrer">原网页 live</a>')
        capture_id = r.get("capture_id")
        if isinstance(capture_id, int):
            links.append(
                f'<a href="{esc(root)}/captures/{capture_id}" target="_blank" rel="noopener">存档 archived</a>'
            )
        cells = [
            f"<td>{rule}</td>",
            f'<td class="nowrap">{esc(r.get("org") or NONE)}</td>',
            f"<td>{subject}</td>",
            f'<td class="title">{esc(r.get("title") or NONE)}</td>',
            f'<td class="ev">{_evidence(r.get("evidence"))}</td>',
            f'<td class="nowrap">{esc(beijing(r.get("opened_at")))}</td>',
            f"<td>{closed}</td>",
        ]
        if phase is not None:
            cells.append(f"<td>{esc(r.get('ledger_status') or NONE)}<br>{esc(r.get('ledger_status_en') or '')}</td>")
        cells.append(f'<td class="links">{"".join(links) or NONE}</td>')
        body_rows.append("<tr>" + "".join(cells) + "</tr>")
    if body_rows:
        table = '<table class="grid"><tr>' + "".join(heads) + "</tr>" + "".join(body_rows) + "</table>"
    else:
        table = (
            '<div class="msg info">没有符合条件的问题。<span class="en">No findings match these filters.</span></div>'
        )
    return layout(
        root, "findings", "问题清单", "Findings", form + summary + table + _pager(root, filters, limit, offset, total)
    )


def _pager(root: str, filters: Mapping[str, Any], limit: int, offset: int, total: int) -> str:
    keep = {k: v for k, v in filters.items() if v not in (None, "")}

    def link(new_offset: int, label: str) -> str:
        query = urlencode({**keep, "limit": limit, "offset": new_offset})
        return f'<a href="{esc(root)}/findings?{esc(query)}">{label}</a>'

    parts = []
    if offset > 0:
        parts.append(link(max(offset - limit, 0), "« 上一页 Previous"))
    if offset + limit < total:
        parts.append(link(offset + limit, "下一页 Next »"))
    return f'<div class="pager">{"".join(parts)}</div>' if parts else ""


# ------------------------------------------------------------------------------------------ crawl

COUNTERS = (
    ("requests", "请求", "requests"),
    ("pages_read", "读取页面", "pages read"),
    ("list_entries", "列表条目", "list entries"),
    ("items_new", "新信息", "new items"),
    ("items_content", "内容变化", "content changed"),
    ("items_metadata", "要素变化", "metadata changed"),
    ("items_removed", "撤下", "removed"),
    ("errors", "错误", "errors"),
)


def _counter(counters: Any, key: str) -> Any:
    if not isinstance(counters, Mapping):
        return None
    if key == "requests":
        http = counters.get("http")
        return http.get("requests") if isinstance(http, Mapping) else None
    if key == "errors":
        http = counters.get("http")
        errors = http.get("errors") if isinstance(http, Mapping) else None
        return sum(v for v in errors.values() if isinstance(v, int)) if isinstance(errors, Mapping) else None
    return counters.get(key)


def _status(status: Any) -> str:
    text = str(status or "")
    return f'<span class="st st-{esc(text)}">{esc(RUN_STATUS.get(text, text))} {esc(text)}</span>'


def _share(part: Any, whole: Any) -> str:
    if not isinstance(part, int) or not isinstance(whole, int) or whole <= 0:
        return NONE
    return f"{100 * part / whole:.1f}%"


def crawl_page(
    root: str,
    runs: Sequence[Mapping[str, Any]],
    unreadable: Sequence[Mapping[str, Any]],
    health: Sequence[Mapping[str, Any]],
) -> str:
    """采集: the last runs with their counters, the columns that could not be read, availability per run."""
    out = []
    if runs:
        latest = runs[0]
        out.append(
            '<div class="kpis">'
            f'<div class="kpi">最近一次采集 <span class="en">latest run</span><b>#{esc(latest.get("run_id"))}</b>'
            f"{_status(latest.get('status'))}</div>"
            f'<div class="kpi">完成时间 <span class="en">finished (Beijing)</span><b>'
            f"{esc(beijing(latest.get('finished_at')))}</b></div>"
            f'<div class="kpi">无法读取的栏目 <span class="en">unreadable columns</span><b>'
            f"{esc(sum(1 for u in unreadable if u.get('run_id') == latest.get('run_id')))}</b></div></div>"
        )
    out.append(f"<h2>{bilingual('最近的采集', 'Latest crawl runs')}</h2>")
    if runs:
        heads = [
            _th("编号", "Run"),
            _th("站点", "Site"),
            _th("方式", "Mode"),
            _th("状态", "Status"),
            _th("开始", "Started"),
            _th("结束", "Finished"),
        ]
        heads += [_th(zh, en) for _, zh, en in COUNTERS]
        heads.append(_th("错误信息", "Error"))
        rows = []
        for r in runs:
            counters = r.get("counters")
            cells = [
                f'<td class="num">{esc(r.get("run_id"))}</td>',
                f"<td>{esc(r.get('base_url'))}<br>"
                f'<span class="small muted">{esc("、".join(r.get("orgs") or []))}</span></td>',
                f"<td>{esc(r.get('mode'))}</td>",
                f"<td>{_status(r.get('status'))}</td>",
                f'<td class="nowrap">{esc(beijing(r.get("started_at")))}</td>',
                f'<td class="nowrap">{esc(beijing(r.get("finished_at")))}</td>',
            ]
            for key, _, _ in COUNTERS:
                value = _counter(counters, key)
                cells.append(f'<td class="num">{esc(NONE if value is None else value)}</td>')
            cells.append(f'<td class="ev">{esc(_short(r.get("error") or ""))}</td>')
            rows.append("<tr>" + "".join(cells) + "</tr>")
        out.append('<table class="grid"><tr>' + "".join(heads) + "</tr>" + "".join(rows) + "</table>")
    else:
        out.append('<div class="msg info">尚无采集记录。<span class="en">No crawl has run yet.</span></div>')

    out.append(f"<h2>{bilingual('无法读取的栏目', 'Columns that could not be read (degraded)')}</h2>")
    if unreadable:
        heads = [
            _th("采集", "Run"),
            _th("机关", "Organisation"),
            _th("栏目", "Column"),
            _th("原因", "Error"),
            _th("记录时间", "Recorded"),
            _th("存档", "Capture"),
        ]
        rows = []
        for u in unreadable:
            capture = u.get("capture_id")
            link = (
                f'<a href="{esc(root)}/captures/{capture}" target="_blank" rel="noopener">存档 archived</a>'
                if isinstance(capture, int)
                else NONE
            )
            rows.append(
                f'<tr><td class="num">{esc(u.get("run_id"))}</td><td>{esc(u.get("org"))}</td>'
                f'<td>{esc(u.get("column_name"))}</td><td class="ev">{esc(_short(u.get("error") or ""))}</td>'
                f'<td class="nowrap">{esc(beijing(u.get("recorded_at")))}</td><td>{link}</td></tr>'
            )
        out.append('<table class="grid"><tr>' + "".join(heads) + "</tr>" + "".join(rows) + "</table>")
    else:
        out.append(
            '<div class="msg info">最近的采集中所有栏目均已读取。'
            '<span class="en">Every column was read in the recent runs.</span></div>'
        )

    out.append(f"<h2>{bilingual('站点可用性', 'Site availability per run')}</h2>")
    if health:
        heads = [
            _th("采集", "Run"),
            _th("站点", "Site"),
            _th("请求", "Requests"),
            _th("失败", "Failed"),
            _th("失败率", "Failed share"),
            _th("读取页面", "Pages read"),
            _th("无法识别", "Unrecognised"),
            _th("识别失败率", "Unrecognised share"),
            _th("验证失败", "Challenge failures"),
            _th("栏目", "Columns"),
            _th("无法读取的栏目", "Unreadable columns"),
        ]
        rows = []
        for h in health:
            names = "、".join(str(n) for n in (h.get("unreadable_column_names") or []))
            rows.append(
                f'<tr><td class="num">{esc(h.get("run_id"))}</td><td>{esc(h.get("base_url"))}</td>'
                f'<td class="num">{esc(h.get("requests"))}</td><td class="num">{esc(h.get("failed"))}</td>'
                f'<td class="num">{esc(_share(h.get("failed"), h.get("requests")))}</td>'
                f'<td class="num">{esc(h.get("pages_read"))}</td><td class="num">{esc(h.get("unrecognised"))}</td>'
                f'<td class="num">{esc(_share(h.get("unrecognised"), h.get("pages_read")))}</td>'
                f'<td class="num">{esc(h.get("challenge_failures"))}</td><td class="num">{esc(h.get("columns"))}</td>'
                f'<td><span class="num">{esc(h.get("unreadable_columns"))}</span> '
                f'<span class="small">{esc(names)}</span></td></tr>'
            )
        out.append('<table class="grid"><tr>' + "".join(heads) + "</tr>" + "".join(rows) + "</table>")
    else:
        out.append('<div class="msg info">尚无可用性数据。<span class="en">No availability figures yet.</span></div>')
    return layout(root, "crawl", "采集情况", "Crawl health", "\n".join(out))


# ------------------------------------------------------------------------------------------ report


def report_form(root: str, orgs: Sequence[str], org: str | None, year: int) -> str:
    """The form that picks the organisation and year of the annual report."""
    choices = [(name, name) for name in orgs]
    return (
        f'<form class="filters card" method="get" action="{esc(root)}/report">'
        f'<label>机关 Organisation<select name="org">{_options(choices, org, "请选择 choose")}</select></label>'
        f'<label>年度 Year<input type="number" name="year" min="2019" max="2100" value="{esc(year)}"></label>'
        '<button type="submit">生成 Show report</button></form>'
    )


def report_chooser_page(root: str, orgs: Sequence[str], org: str | None, year: int, message: str = "") -> str:
    """The report page before an organisation is chosen, or with why the report could not be computed."""
    note = (
        f'<div class="msg error">{esc(message)}</div>'
        if message
        else '<div class="msg info">请选择机关和年度。<span class="en">Choose an organisation and a year.</span></div>'
    )
    return layout(
        root, "report", "政府信息公开工作年度报告", "Annual report", report_form(root, orgs, org, year) + note
    )


BAR_CSS = (
    """
header.top { font-family: FONTS; background: #1d3557; color: #fff; padding: 0 24px; display: flex;
  align-items: center; gap: 28px; flex-wrap: wrap; line-height: 1.6; font-size: 14px; }
header.top .brand { font-weight: bold; font-size: 16px; padding: 12px 0; }
header.top .en { color: #c9d6ea; font-size: 0.8em; margin-left: 0.5em; }
header.top nav a { color: #e8eef7; text-decoration: none; padding: 13px 12px; display: inline-block;
  border-bottom: 3px solid transparent; }
header.top nav a.active { border-bottom-color: #f4a261; color: #fff; font-weight: bold; }
div.uibar { font-family: FONTS; max-width: 1180px; margin: 0 auto; padding: 10px 32px; background: #fff;
  font-size: 14px; border-bottom: 1px solid #ddd; }
div.uibar form.filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: flex-end; }
div.uibar label { display: flex; flex-direction: column; font-size: 13px; color: #444; }
div.uibar select, div.uibar input { font: inherit; padding: 4px 6px; min-width: 150px; border: 1px solid #b9c2cc;
  border-radius: 4px; background: #fff; }
div.uibar button { font: inherit; padding: 5px 16px; background: #1d3557; color: #fff; border: 0; border-radius: 4px; }
"""
).replace("FONTS", FONTS)


def report_page(root: str, report_html: str, form: str) -> str:
    """The report's own self-contained page (export.render_html) with this app's top bar and form above it.

    The bar's CSS is scoped to its own elements, so the report keeps its look.
    """
    bar = (
        f"<style>{BAR_CSS}</style>"
        '<header class="top"><div class="brand">信息公开审计<span class="en">Disclosure audit</span></div><nav>'
        + "".join(
            f'<a href="{esc(root)}/{path}"{" class=active" if path == "report" else ""}>'
            f'{esc(zh)} <span class="en">{esc(en)}</span></a>'
            for path, zh, en in NAV
        )
        + f'</nav></header><div class="uibar">{form}</div>'
    )
    marker = "<body>"
    at = report_html.find(marker)
    if at < 0:
        return bar + report_html
    at += len(marker)
    return report_html[:at] + bar + report_html[at:]
