"""What a person reads after a crawl or a check: the summaries, Chinese first with English beside.

The faces (the command line, the demo, the Airflow tasks' logs) print these; the library returns data.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from disclosure_audit import rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_LISTED = 20  # errors named one by one in a summary; the rest are counted (all are in core.crawl_errors)

_KINDS = {
    "unrecognised_list": "列表应答无法识别 unrecognised list answer",
    "parameter_unresolved": "列表参数无法解析 list parameters unresolved",
    "shell_unreadable": "栏目页无法读取 catalogue page unreadable",
    "site_unreadable": "站点索引无法读取 index unreadable",
    "unreadable_detail": "详情页无法读取 detail page unreadable",
    "doubtful_decoding": "编码存疑 doubtful decoding",
    "off_site": "站外链接 off-site URL",
    "disallowed": "robots.txt 禁止 disallowed by robots.txt",
    "redirected_away": "被重定向到站外 redirected away",
    "challenge_failed": "反爬验证未通过 challenge failed",
    "fetch_failed": "抓取失败 fetch failed",
    "unexpected_status": "意外的状态码 unexpected status",
    "count_drop": "条目数骤降 entry count dropped",
}


def beijing(moment) -> str:
    """A timestamp as users read it: Beijing time."""
    if moment is None:
        return "—"
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S 北京时间")


def kind_text(kind: str) -> str:
    return _KINDS.get(kind, kind)


def _error_line(e: dict) -> str:
    where = []
    if e.get("capture_id") is not None:
        where.append(f"存档 capture {e['capture_id']}")
    if e.get("url"):
        where.append(e["url"])
    tail = f" [{'; '.join(where)}]" if where else ""
    return f"{kind_text(e['kind'])}: {e['message']}{tail}"


def format_crawl_summary(summary) -> str:
    """The end-of-crawl summary; a degraded run names every column and entry it could not read."""
    c = summary.counters
    http = c.get("http", {})
    status = {
        "succeeded": "成功 succeeded",
        "degraded": "降级 degraded（部分内容未能读取 / some content could not be read）",
        "failed": "失败 failed",
    }.get(summary.status, summary.status)
    lines = [
        f"采集完成 crawl run {summary.run_id}: {status}",
        f"  站点日期 server date: {beijing(summary.server_date)}",
        f"  列表页 list pages: {c.get('list_pages', 0)}, 列表条目 entries: {c.get('list_entries', 0)} "
        f"(新 new {c.get('list_new', 0)}, 变化 changed {c.get('list_changed', 0)}, 未变 same {c.get('list_same', 0)}), "
        f"移动栏目 moved {c.get('items_moved', 0)}",
        f"  详情页 details fetched: {c.get('details_fetched', 0)}, 未修改 304: {c.get('items_not_modified', 0)}, "
        f"未能读取 not read: {c.get('detail_errors', 0)}",
        f"  信息 items: 新增 new {c.get('items_new', 0)}, 元数据变更 metadata {c.get('items_metadata', 0)}, "
        f"正文变更 content {c.get('items_content', 0)}, 撤下 removed {c.get('items_removed', 0)}",
        f"  请求 requests: {http.get('requests', 0)}, 重试 retries: {http.get('retries', 0)}, "
        f"验证 challenge solves: {http.get('challenge_solves', 0)}, 存档 captures: {c.get('captures', 0)}",
    ]
    errors = list(getattr(summary, "errors", []) or [])
    problems = [e for e in errors if e.get("severity", "error") == "error"]
    warnings = [e for e in errors if e.get("severity") == "warning"]
    for title, group in (
        ("站点/单位无法读取 site or organisation not read", [e for e in problems if e["scope"] in ("site", "org")]),
        ("栏目无法读取（本次不评估）columns not read (not judged this run)", [e for e in problems if e["scope"] == "column"]),
        ("条目无法读取（保留原版本，下次重试）entries not read (kept as they were, retried next run)",
         [e for e in problems if e["scope"] == "entry"]),
        ("警告 warnings", warnings),
    ):  # fmt: skip
        if not group:
            continue
        lines.append(f"  {title}: {len(group)}")
        for e in group[:MAX_LISTED]:
            lines.append(f"    - {_error_line(e)}")
        if len(group) > MAX_LISTED:
            lines.append(
                f"    … 另有 {len(group) - MAX_LISTED} 条 and {len(group) - MAX_LISTED} more "
                f"(core.crawl_errors, run_id = {summary.run_id})"
            )
    if summary.status == "degraded":
        lines.append(
            "  本次采集未能读取全部内容：上列栏目的规则本次为“无法评估”，未读取的条目保留原版本并在下次采集时重试。 / "
            "Not everything could be read: the column rules report the columns above as not evaluable this run; "
            "entries not read keep their last good version and are fetched again next run."
        )
    return "\n".join(lines)


def format_check_summary(summary) -> str:
    """The per-rule table of a check run, with the crawl's health and the findings."""
    lines = [
        f"检查完成 check run {summary.check_run_id} (基准日 as of {summary.as_of})",
        f"  {'规则 rule':<36} {'检查 checked':>12} {'不合格 failed':>13} {'无法评估 n/a':>12}",
    ]
    for rule in rules.RULES:
        r = summary.results.get(rule.id)
        if r is None:
            continue
        tail = f"  ⚠ {r.exception}" if r.exception else ""
        lines.append(f"  {rule.id:<36} {r.checked:>12} {r.failed:>13} {r.not_evaluable:>12}  {rule.title_zh}{tail}")
    if summary.as_of is None:
        lines.append(
            "  尚无成功的采集，没有可检查的信息 / no successful crawl yet, nothing to check: "
            "run `disclosure-audit crawl --site URL --org NAME` first"
        )
    for h in getattr(summary, "health", []) or []:
        lines.append(
            f"  采集状况 crawl health ({h['subject']}, run {h['run_id']}, {h['status']}): "
            f"请求 requests {h['requests']}, 失败 failed {h['failed']}, 慢 slow {h['slow']}, "
            f"无法识别 unrecognised {h['unrecognised']}/{h['pages_read']}, 验证失败 challenge failures "
            f"{h['challenge_failures']}, 无法读取的栏目 columns not read {h['unreadable_columns']}/{h['columns']}"
        )
    f = summary.findings
    lines.append(
        f"  问题 findings: 新增 opened {f.opened}, 仍未整改 still open {f.still_open}, "
        f"已整改 closed {f.closed_passed}, 随信息撤下关闭 closed as removed {f.closed_removed}"
    )
    if summary.data_docs:
        lines.append(f"  数据文档 Data Docs: {summary.data_docs}")
    if summary.broken_rules:
        lines.append(f"  无法运行的规则 rules that could not run: {', '.join(summary.broken_rules)}")
    return "\n".join(lines)
