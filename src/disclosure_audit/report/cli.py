"""The `report` commands: annual-report figures, exports, freezing, imports and published-report checks."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import closing
from pathlib import Path

FORMATS = ("xlsx", "docx", "html", "json")
CAMPAIGN_FORMATS = ("xlsx", "json")


def register(subparsers: argparse._SubParsersAction) -> None:
    report = subparsers.add_parser("report", help="the annual disclosure report (政府信息公开工作年度报告)")
    sub = report.add_subparsers(dest="report_command", required=True, metavar="COMMAND")

    annual = sub.add_parser("annual", help="compute (and export, freeze) one organisation's report for a year")
    annual.add_argument("--year", type=int, required=True, help="report year (统计年度)")
    annual.add_argument("--org", required=True, metavar="NAME", help="organisation's full name, e.g. 合肥市地震局")
    annual.add_argument("--site-id", type=int, default=None, help="the site, when the name is on several")
    annual.add_argument("--format", choices=FORMATS, default=None, help="export format (default: from -o, else json)")
    annual.add_argument("-o", "--output", type=Path, default=None, help="file to write (default: JSON on stdout)")
    annual.add_argument("--freeze", action="store_true", help="store the figures as final: they never change after")
    annual.set_defaults(func=cmd_annual)

    diff = sub.add_parser("diff", help="what changed since a frozen year, figure by figure and item by item")
    diff.add_argument("--year", type=int, required=True)
    diff.add_argument("--org", required=True, metavar="NAME")
    diff.add_argument("--site-id", type=int, default=None)
    diff.set_defaults(func=cmd_diff)

    published = sub.add_parser("check-published", help="check the reports published on the platform (C1–C8)")
    published.add_argument("--year", type=int, default=None)
    published.add_argument("--org", default=None, metavar="NAME")
    published.add_argument("--data-dir", type=Path, default=None, help="where the captures are (DISCLOSURE_DATA_DIR)")
    published.set_defaults(func=cmd_check_published)

    for name, kind, text in (
        ("import-applications", "applications", "import an application register (申请登记, XLSX or CSV)"),
        ("import-figures", "figures", "import a figures file (行政许可/处罚/强制/收费, 复议诉讼; XLSX or CSV)"),
    ):
        imp = sub.add_parser(name, help=text)
        imp.add_argument("file", type=Path)
        imp.add_argument("--replace", action="store_true", help="replace what an earlier import stored for the same "
                         "organisation and year (atomically)")  # fmt: skip
        imp.add_argument("--org", default=None, metavar="NAME",
                         help="the organisation the file covers (an empty register then means zero)")  # fmt: skip
        imp.add_argument("--year", type=int, default=None, help="the year the file covers (with --org)")
        imp.set_defaults(func=cmd_import, kind=kind)

    templates = sub.add_parser("templates", help="write the register and figures templates (XLSX and CSV)")
    templates.add_argument("-o", "--output", type=Path, default=Path("."), help="directory (default: here)")
    templates.set_defaults(func=cmd_templates)

    campaign = sub.add_parser("campaign", help="整改台账 / a campaign's rectification ledger, per phase and finding")
    campaign.add_argument("--name", required=True, metavar="NAME", help="专项行动 / campaign, e.g. 六提六促专项行动")
    campaign.add_argument("--format", choices=CAMPAIGN_FORMATS, default=None,
                          help="导出格式 / xlsx or json (JSON lines; default: from -o, else json)")  # fmt: skip
    campaign.add_argument("-o", "--output", type=Path, default=None,
                          help="输出文件 / file to write (default: JSON lines on stdout)")  # fmt: skip
    campaign.set_defaults(func=cmd_campaign)

    campaigns = sub.add_parser("campaigns", help="列出专项行动及其阶段 / list the campaigns and their phases")
    campaigns.set_defaults(func=cmd_campaigns)


def _connect():
    import psycopg2

    from disclosure_audit.store.migrate import ready_database

    return psycopg2.connect(ready_database())


def _export(report: dict, fmt: str | None, output: Path | None) -> str:
    from disclosure_audit.report.export import write

    fmt = fmt or (output.suffix.lstrip(".").lower() if output is not None and output.suffix else "json")
    if fmt not in FORMATS:
        raise SystemExit(
            f"disclosure-audit: error: unknown export format {fmt!r} (expected one of {', '.join(FORMATS)})"
        )
    if output is None:
        if fmt != "json":
            raise SystemExit(f"disclosure-audit: error: --format {fmt} needs -o FILE")
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
        return "stdout"
    output.parent.mkdir(parents=True, exist_ok=True)
    write(report, output, fmt)
    return str(output)


def summary_text(report: dict) -> str:
    from disclosure_audit.report import format as F

    lines = [f"{report['org']} {report['year']}年政府信息公开工作年度报告（{report['format']}版格式）"]
    for row in report["table2"]:
        if row["block"] != F.BLOCK_1:
            continue
        cells = []
        for cell in row["cells"]:
            value = "未计算 not computed" if cell.get("value") is None else str(cell["value"])
            if cell.get("undetermined"):
                value += f"（另有 {len(cell['undetermined'])} 件无法判定 undetermined）"
            cells.append(f"{cell['column']} {value}")
        lines.append(f"  表二 {row['row']}: " + "；".join(cells))
    pub = report.get("published") or {}
    if pub:
        kinds = "、".join(f"{k}{n}条" for k, n in pub.get("by_kind", []))
        lines.append(f"  主动公开 published: {pub.get('total', 0)} 条（{kinds}）")
    breaches = [b for b in report.get("identity_breaches", []) if b["severity"] != "unknown"]
    unknown = [b for b in report.get("identity_breaches", []) if b["severity"] == "unknown"]
    lines.append(f"  勾稽关系 identities: {len(breaches)} 处不符 broken, {len(unknown)} 处无法核对 not checkable")
    return "\n".join(lines)


def cmd_annual(args: argparse.Namespace) -> int:
    from disclosure_audit.report.figures import compute_report
    from disclosure_audit.report.findings import CheckedReport, computed_subject, record_report_findings
    from disclosure_audit.report.freeze import freeze_year

    with closing(_connect()) as conn:
        if args.freeze:
            report = freeze_year(conn, args.org, args.year, site_id=args.site_id)
        else:
            report = compute_report(conn, args.org, args.year, site_id=args.site_id)
        record_report_findings(
            conn,
            [
                CheckedReport(
                    site_id=report["site_id"],
                    subject=computed_subject(report["organ_id"], report["year"]),
                    org=report["org"],
                    content_id=None,
                    breaches=report["identity_breaches"],
                    evidence={"year": report["year"], "computed": True},
                )
            ],
        )
    where = _export(report, args.format, args.output)
    if where != "stdout":
        print(summary_text(report))
        if args.freeze:
            print(f"  已冻结 frozen at {report['frozen']['frozen_at']}")
        print(f"写入 wrote {where}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from disclosure_audit.report.freeze import diff_year

    with closing(_connect()) as conn:
        diff = diff_year(conn, args.org, args.year, site_id=args.site_id)
    print(f"{diff['org']} {diff['year']} 冻结于 frozen at {diff['frozen_at']}")
    if not diff["figures"] and not diff["items"]:
        print("  无变化 / nothing changed since")
        return 0
    for f in diff["figures"]:
        print(f"  {f['table']} {f['row']} × {f['column']}: 冻结 frozen {f['frozen']} → 现在 now {f['now']}")
    for i in diff["items"]:
        print(
            f"  {i['row']} {i['figure']} {i['content_id']}: {i['frozen'] or '—'} → {i['now'] or '—'} "
            f"({i['reason']}) {i['url'] or ''}"
        )
    return 0


def cmd_check_published(args: argparse.Namespace) -> int:
    from disclosure_audit.locations import data_dir as default_data_dir
    from disclosure_audit.report.audit import as_checked, audit_published
    from disclosure_audit.report.findings import record_report_findings

    with closing(_connect()) as conn:
        entries = audit_published(conn, args.data_dir or default_data_dir(), org=args.org, year=args.year)
        counts = record_report_findings(conn, as_checked(entries))
    for e in entries:
        sys.stdout.write(json.dumps(e, ensure_ascii=False, default=str) + "\n")
    bad = [e for e in entries if e["status"] != "consistent"]
    print(
        f"{len(entries)} 份年报 reports: {len(entries) - len(bad)} 一致 consistent, "
        f"{sum(e['status'] == 'inconsistent' for e in entries)} 不一致 inconsistent, "
        f"{sum(e['status'] == 'unreadable' for e in entries)} 无法读取 unreadable; 问题 findings (report.c1–c8): "
        f"新增 opened {counts.opened}, 仍未整改 still open {counts.still_open}, 已整改 closed {counts.closed_passed}",
        file=sys.stderr,
    )
    return 3 if any(e["status"] == "unreadable" for e in entries) else 0


def cmd_import(args: argparse.Namespace) -> int:
    from disclosure_audit.report import register

    importer = register.import_applications if args.kind == "applications" else register.import_figures
    with closing(_connect()) as conn:
        result = importer(conn, args.file, replace=args.replace, org=args.org, year=args.year)
    print(result.message() if hasattr(result, "message") else result)
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    from disclosure_audit.report import register

    args.output.mkdir(parents=True, exist_ok=True)
    for path in register.write_templates(args.output):
        print(f"写入 wrote {path}")
    return 0


def cmd_campaign(args: argparse.Namespace) -> int:
    from disclosure_audit.report.campaign import (
        STATUSES,
        CampaignError,
        campaign_ledger,
        ledger_json_lines,
        write_campaign_json,
        write_campaign_xlsx,
    )

    output = args.output
    fmt = args.format or (output.suffix.lstrip(".").lower() if output is not None and output.suffix else "json")
    if fmt not in CAMPAIGN_FORMATS:
        raise CampaignError(
            f"未知的导出格式 / unknown export format {fmt!r} (expected one of {', '.join(CAMPAIGN_FORMATS)})"
        )
    if fmt == "xlsx" and output is None:
        raise CampaignError("--format xlsx 需要 -o FILE / --format xlsx needs -o FILE")
    with _connect() as conn:
        ledger = campaign_ledger(conn, args.name)
    if output is None:
        for line in ledger_json_lines(ledger):
            sys.stdout.write(line + "\n")
    else:
        (write_campaign_xlsx if fmt == "xlsx" else write_campaign_json)(ledger, output)
    out = sys.stderr if output is None else sys.stdout
    print(f"{ledger['campaign']} 整改台账 rectification ledger（截至 as of {ledger['as_of']}）", file=out)
    for p in ledger["by_phase"]:
        counts = "，".join(f"{zh} {p[key]}" for zh, _, key in STATUSES)
        dates = f"{p['starts_on']} → {p['ends_on']}"
        print(f"  {p['phase_order']}. {p['phase']}（{dates}）: 共 {p['total']} 条 findings：{counts}", file=out)
    if output is not None:
        print(f"写入 wrote {output}", file=out)
    return 0


def cmd_campaigns(args: argparse.Namespace) -> int:
    from disclosure_audit.report.campaign import list_campaigns

    with _connect() as conn:
        known = list_campaigns(conn)
    if not known:
        print("尚无专项行动 / no campaigns (qa.campaigns is empty)")
    for c in known:
        print(c["campaign"])
        for p in c["phases"]:
            note = f"  {p['description']}" if p["description"] else ""
            print(f"  {p['phase_order']}. {p['phase']}  {p['starts_on']} → {p['ends_on']}（整改期限 deadline）{note}")
    return 0
