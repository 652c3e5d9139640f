"""The `disclosure-audit replica` commands: serve the platform replica, print its truth and scenarios."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.replica.variants import BROKEN_LISTS, EMPTY_STYLES, HOSTILE_ENTRIES, SHELL_STYLES
from disclosure_audit.replica.waf import HASHES

DEFAULT_PORT = 8321


def _rate(value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a rate between 0 and 1, got {value!r}") from None
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a rate between 0 and 1, got {value}")
    return rate


def _corpus_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--items", type=int, default=300, help="day-0 number of items (default 300)")
    p.add_argument("--day", type=int, default=0, help="simulated day: 0 is 2026-11-16, each day adds one")
    p.add_argument("--seed", type=int, default=0, help="varies generated text, never the scenarios")


def register(subparsers: argparse._SubParsersAction) -> None:
    replica = subparsers.add_parser(
        "replica",
        help="the local replica of the disclosure platform (本地仿真平台)",
        description="A local replica of the LonSun disclosure platform, for demo, tests and benchmarks.",
    )
    commands = replica.add_subparsers(dest="replica_command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the replica over HTTP until interrupted")
    _corpus_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)"
    )
    serve.add_argument("--crawl-delay", type=float, default=None, help="Crawl-delay to state in robots.txt")
    waf = serve.add_argument_group("anti-bot challenge (加速乐-style)")
    waf.add_argument("--challenge", action="store_true", help="answer 521 with a JavaScript challenge")
    waf.add_argument(
        "--challenge-every", type=int, default=200, help="requests a clearance lasts (default 200)"
    )
    waf.add_argument(
        "--challenge-hash",
        choices=HASHES,
        default="sha256",
        help=f"hash of the stage-2 search: {', '.join(HASHES)} (default sha256)",
    )
    faults = serve.add_argument_group("misbehaviour (seeded, per URL)")
    faults.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="RPS",
        help="answer 429 beyond this many requests per second per client",
    )
    faults.add_argument("--retry-after", type=int, default=2, metavar="SECONDS", help="Retry-After of 429s")
    faults.add_argument("--fault-429", type=_rate, default=0.0, metavar="RATE", help="share of random 429s")
    faults.add_argument("--fault-5xx", type=_rate, default=0.0, metavar="RATE", help="share of 500/502/503")
    faults.add_argument(
        "--fault-reset", type=_rate, default=0.0, metavar="RATE", help="share of connection resets"
    )
    faults.add_argument(
        "--fault-truncate", type=_rate, default=0.0, metavar="RATE", help="share of cut-off bodies"
    )
    faults.add_argument("--slow", type=_rate, default=0.0, metavar="RATE", help="share of slow answers")
    faults.add_argument("--slow-seconds", type=float, default=3.0, help="delay of a slow answer (default 3)")
    faults.add_argument(
        "--max-consecutive-faults",
        type=int,
        default=3,
        help="a URL never misbehaves more often than this in a row (default 3)",
    )
    variants = serve.add_argument_group("platform variants (what real sites differ in; the truth is the same)")
    variants.add_argument("--shell-params", choices=SHELL_STYLES, default="literal",
                          help="how shell scripts pass the list parameters (default literal)")
    variants.add_argument("--empty-list", choices=EMPTY_STYLES, default="marker",
                          help="an empty column: the 暂无相关信息 marker or the bare template (default marker)")
    variants.add_argument("--path-prefix", default="", metavar="/NAME", help="serve the platform under this path")
    variants.add_argument("--label", action="append", default=[], metavar="FIELD=TEXT",
                          help="show this label for a detail field, e.g. doc_number=文件编号： (repeatable)")
    variants.add_argument("--library-org", action="append", type=int, default=[], metavar="ORGAN_ID",
                          help="link a 行政规范性文件库 (type 6) from this organisation's catalogue (repeatable)")
    variants.add_argument("--department-host", default=None, metavar="ORIGIN",
                          help="link 合肥市科学技术局's items on this origin, e.g. http://localhost:8321")
    variants.add_argument("--broken-list", action="append", default=[], metavar="CAT_ID=KIND",
                          help=f"the column's list answers {', '.join(BROKEN_LISTS)} instead (repeatable)")
    variants.add_argument("--short-list", action="append", default=[], metavar="CAT_ID=N",
                          help="the column's list shows only its first N entries (repeatable)")
    variants.add_argument("--hostile", action="append", default=[], metavar="CONTENT_ID=KIND",
                          help=f"the item's entry or page misbehaves: {', '.join(HOSTILE_ENTRIES)} (repeatable)")
    serve.set_defaults(func=cmd_serve)

    truth = commands.add_parser(
        "truth", help="print the ground truth (items, defects, changes) as one JSON object"
    )
    _corpus_options(truth)
    truth.add_argument(
        "--base-url",
        default=f"http://127.0.0.1:{DEFAULT_PORT}",
        help="the base URL the replica is served at, used in item URLs",
    )
    truth.add_argument("--library-org", action="append", type=int, default=[], metavar="ORGAN_ID",
                       help="as replica serve --library-org: the truth then lists each library's tabs")
    truth.add_argument("--department-host", default=None, metavar="ORIGIN",
                       help="as replica serve --department-host: the department's items are at home there")
    truth.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")
    truth.set_defaults(func=cmd_truth)

    scen = commands.add_parser(
        "scenarios", help="list the injected defects and passing edge cases (缺陷场景)"
    )
    scen.add_argument("--day", type=int, default=0)
    scen.add_argument("--format", choices=("text", "jsonl"), default="text")
    scen.set_defaults(func=cmd_scenarios)


def _corpus(args: argparse.Namespace):
    from disclosure_audit.replica.corpus import Corpus

    try:
        return Corpus(items=args.items, day=args.day, seed=args.seed)
    except ValueError as exc:
        raise DisclosureAuditError(f"cannot build the replica corpus: {exc}") from None


def cmd_serve(args: argparse.Namespace, ready: Callable[[str], None] | None = None) -> int:
    from disclosure_audit.replica.server import Knobs, ReplicaServer
    from disclosure_audit.replica.site import ReplicaSite

    corpus = _corpus(args)
    knobs = Knobs(
        challenge=args.challenge,
        challenge_every=args.challenge_every,
        challenge_hash=args.challenge_hash,
        rate_limit_per_second=args.rate_limit,
        retry_after_seconds=args.retry_after,
        fault_429_rate=args.fault_429,
        fault_5xx_rate=args.fault_5xx,
        fault_reset_rate=args.fault_reset,
        fault_truncate_rate=args.fault_truncate,
        slow_rate=args.slow,
        slow_seconds=args.slow_seconds,
        seed=args.seed,
        max_consecutive_faults=args.max_consecutive_faults,
    )
    site = ReplicaSite(corpus, crawl_delay=args.crawl_delay, variants=_variants(args))
    try:
        server = ReplicaServer(site, knobs, host=args.host, port=args.port)
    except OSError as exc:
        raise DisclosureAuditError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. "
            "Choose another port with --port (0 picks a free one)."
        ) from None
    url = server.url
    on = [
        name
        for name, value in (
            ("challenge", knobs.challenge),
            ("rate-limit", knobs.rate_limit_per_second),
            ("429", knobs.fault_429_rate),
            ("5xx", knobs.fault_5xx_rate),
            ("reset", knobs.fault_reset_rate),
            ("truncate", knobs.fault_truncate_rate),
            ("slow", knobs.slow_rate),
        )
        if value
    ]
    lines = [
        f"仿真政务公开平台 / disclosure platform replica: {url}/public/",
        f"  日期 day {corpus.day} = {corpus.as_of.isoformat()} (Asia/Shanghai), "
        f"信息 items (day 0): {corpus.n_items}, seed {corpus.seed}",
        f"  异常注入 misbehaviour: {', '.join(on) if on else '无 none'}",
    ]
    for org in corpus.orgs:
        lines.append(f"  {org.name}: {url}/public/column/{org.organ_id}?type=4&action=list")
    lines.append(
        f"  真值 truth: disclosure-audit replica truth --items {corpus.n_items} --day {corpus.day} "
        f"--seed {corpus.seed} --base-url {url}"
    )
    variant = site.variants
    changed = [
        f"{name}={value}"
        for name, value in (
            ("shell-params", variant.shell_params if variant.shell_params != "literal" else None),
            ("empty-list", variant.empty_list if variant.empty_list != "marker" else None),
            ("path-prefix", variant.path_prefix),
            ("labels", dict(variant.labels)),
            ("library", list(variant.library_orgs)),
            ("department-host", variant.department_host),
            ("broken-lists", dict(variant.broken_lists)),
            ("short-lists", dict(variant.short_lists)),
            ("hostile", dict(variant.hostile)),
        )
        if value
    ]
    lines.append(f"  平台变体 variants: {', '.join(changed) if changed else '无 none'}")
    lines.append("  按 Ctrl-C 停止 / press Ctrl-C to stop")
    print("\n".join(lines), flush=True)
    if ready is not None:
        ready(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _pairs(values: list[str], option: str, key=str, value_type=str) -> dict:
    out = {}
    for value in values:
        k, eq, v = value.partition("=")
        try:
            if not eq or not v:
                raise ValueError
            out[key(k.strip())] = value_type(v.strip())
        except ValueError:
            raise DisclosureAuditError(f"{option} expects KEY=VALUE, got {value!r}") from None
    return out


def _variants(args: argparse.Namespace):
    from types import MappingProxyType

    from disclosure_audit.replica.variants import Variants

    try:
        return Variants(
            shell_params=args.shell_params,
            empty_list=args.empty_list,
            path_prefix=args.path_prefix,
            labels=MappingProxyType(_pairs(args.label, "--label")),
            library_orgs=tuple(args.library_org),
            department_host=args.department_host,
            broken_lists=MappingProxyType(_pairs(args.broken_list, "--broken-list", int)),
            hostile=MappingProxyType(_pairs(args.hostile, "--hostile", int)),
            short_lists=MappingProxyType(_pairs(args.short_list, "--short-list", int, int)),
        )
    except ValueError as exc:
        raise DisclosureAuditError(f"replica variants: {exc}") from None


def cmd_truth(args: argparse.Namespace) -> int:
    from disclosure_audit.replica.truth import build_truth

    truth = build_truth(
        _corpus(args),
        args.base_url.rstrip("/"),
        library_orgs=tuple(args.library_org),
        department_host=args.department_host.rstrip("/") if args.department_host else None,
    )
    if args.output == "-":
        json.dump(truth, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                json.dump(truth, f, ensure_ascii=False)
                f.write("\n")
        except OSError as exc:
            raise DisclosureAuditError(
                f"cannot write the truth to {args.output}: {exc.strerror or exc}"
            ) from None
        print(
            f"wrote {len(truth['items'])} items, {len(truth['defects'])} defects to {args.output}",
            file=sys.stderr,
        )
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from disclosure_audit.replica.corpus import ORGS_BY_ID
    from disclosure_audit.replica.scenarios import build_specs

    for s in build_specs(0):
        intent = sorted(s.intent_on(args.day))
        if args.format == "jsonl":
            print(
                json.dumps(
                    {
                        "content_id": s.cid,
                        "org": ORGS_BY_ID[s.org].name,
                        "column": s.column,
                        "scenario": s.scenario,
                        "rules": intent,
                        "appears": s.appears,
                        "removed_from": s.removed_from,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(
                f"{s.cid}  {ORGS_BY_ID[s.org].short_name}/{s.column}  {s.scenario}  "
                f"[{', '.join(intent) or '—'}]"
            )
    return 0
