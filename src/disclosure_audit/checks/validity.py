"""Repeal clauses (同时废止, 不再执行 ...) in document bodies, matched to the earlier documents they repeal."""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

import psycopg2.extras

from disclosure_audit.parse.normalize import normalize_doc_number, to_ascii_forms
from disclosure_audit.store.server import connect

log = logging.getLogger(__name__)

# Column names (core.columns.name) that hold policy and normative documents, and their kind. The one
# place this list lives: sql/0004 mirrors it as qa.policy_column_kind(), a test keeps them equal.
POLICY_COLUMN_NAMES: MappingProxyType[str, str] = MappingProxyType(
    {
        "政策文件": "policy",
        "规范性文件": "normative",
        "行政规范性文件": "normative",
    }
)

# ------------------------------------------------------------------------------------ clause finder
# Kinds of clause, by the words that carry the repeal. Order matters: the first that matches names it.
_V = r"(?:废止|失效|停止执行|不再执行|不再施行)"
_TRIGGERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("former", re.compile(r"原《[^《》]+》.*?" + _V)),  # 原《X》……废止 / 失效
    ("simultaneous", re.compile(r"(?:同时|一并)" + _V)),  # ……同时废止, 一并废止
    ("from_date", re.compile(r"自[^，。；]{1,40}?起" + _V)),  # ……自2023年1月1日起废止, 自本细则施行之日起不再执行
    ("repealed", re.compile(r"(?:予以|即行|现予|决定)废止")),  # ……予以废止
    ("no_longer", re.compile(r"不再(?:执行|施行)")),  # ……不再执行
    ("stopped", re.compile(r"(?<![不未])停止执行")),  # ……停止执行 (not 不停止执行: a review does not suspend)
)
# Words after 废止 that make it a noun in another sense: a date field, an application, a procedure.
_NOT_A_REPEAL = re.compile(r"废止(?:日期|时间|申请|建议|程序|情况|工作|件数|目录|清单)")
# A line of metadata (废止日期：…, 有效性：…): it states a field, it repeals nothing.
_METADATA_LINE = re.compile(
    r"^\s*(?:索\s*引\s*号|文\s*号|发文字号|有\s*效\s*性|时效性|成文日期|发布日期|生效日期|施行日期|实施日期"
    r"|废止日期|废止时间|失效日期|失效时间|有效期)\s*[：:]"
)
_TITLE = re.compile(r"《([^《》]{1,100})》")
# 文号: 机关代字, then the year in any bracket, then the serial and 号.
_DOC_NUMBER = re.compile(
    r"(?<![\u4e00-\u9fa5A-Za-z])([\u4e00-\u9fa5A-Za-z]{1,12}\s*[〔\[(（【［﹝〖]\s*\d{4}\s*[〕\])）】］﹞〗]\s*\d{1,5}\s*号)"
)
_SENTENCE_END = re.compile(r"(?<=[。！？；;!?])|\n")
_SEGMENT = re.compile(r"[，,：:]")
# A segment that states what a document rests on (根据《…法》), not what it repeals.
_BASIS = re.compile(r"\s*(?:根据|依据|依照|按照|为了|为|贯彻|落实)")
# 《》 content shorter than this is an abbreviation (《办法》, 《条例》, 以下简称《细则》), not a title.
MIN_TITLE_CHARS = 6


@dataclass(frozen=True)
class RepealClause:
    """One sentence that repeals earlier documents, and what it names them by.

    kind: former (原《X》…废止), simultaneous (同时废止), from_date (自…起废止 / 不再执行),
    repealed (予以废止), no_longer (不再执行), stopped (停止执行).
    """

    kind: str
    doc_numbers: list[str]  # normalized 文号 (normalize_doc_number)
    titles: list[str]  # as written inside 《》
    sentence: str


def find_repeal_clauses(body_text: str) -> list[RepealClause]:
    """The repeal clauses of a body, in order; sentences that mention 废止 in another sense are not."""
    out: list[RepealClause] = []
    for sentence in _sentences(body_text or ""):
        if _METADATA_LINE.match(sentence):
            continue
        found = _trigger(sentence)
        if found is None:
            continue
        kind, start, end = found
        numbers, titles = _targets(sentence, start, end)
        if numbers or titles:
            out.append(RepealClause(kind, numbers, titles, sentence))
    return out


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _trigger(sentence: str) -> tuple[str, int, int] | None:
    """(kind, start, end) of the first repeal words in the sentence."""
    masked = _NOT_A_REPEAL.sub(lambda m: "＿" * len(m.group(0)), sentence)
    best: tuple[int, str, int] | None = None
    for kind, pattern in _TRIGGERS:
        m = pattern.search(masked)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), kind, m.end())
    if best is None:
        return None
    return best[1], best[0], best[2]


def _targets(sentence: str, start: int, end: int) -> tuple[list[str], list[str]]:
    """文号 and titles the repeal words apply to.

    Looked for in the segment (between commas) that ends with the repeal words; else in the one
    segment before it (原市政府印发的《A》，自…起停止执行), unless that one states a basis (根据《…法》);
    else after the words, up to the next comma (决定废止《A》、《B》).
    """
    bounds = [0] + [m.end() for m in _SEGMENT.finditer(sentence, 0, end)]
    own = sentence[bounds[-1] : end]
    numbers, titles = _named(own)
    if numbers or titles:
        return numbers, titles
    if len(bounds) > 1:
        before = sentence[bounds[-2] : bounds[-1]]
        if not _BASIS.match(before):
            numbers, titles = _named(before)
            if numbers or titles:
                return numbers, titles
    following = _SEGMENT.search(sentence, end)
    return _named(sentence[start : following.start() if following else len(sentence)])


def _named(text: str) -> tuple[list[str], list[str]]:
    titles = [
        t
        for m in _TITLE.finditer(text)
        if len(t := m.group(1).strip()) >= MIN_TITLE_CHARS and not text[: m.start()].endswith("简称")
    ]
    numbers: list[str] = []
    for m in _DOC_NUMBER.finditer(to_ascii_forms(text)):
        number = normalize_doc_number(m.group(1))
        if number and number not in numbers:
            numbers.append(number)
    return numbers, titles


def title_pairs(sentence: str) -> dict[str, str]:
    """Titles followed by their 文号 in brackets (《X》（合震〔2019〕7号）): title → normalized 文号."""
    pairs: dict[str, str] = {}
    for m in _TITLE.finditer(sentence):
        after = to_ascii_forms(sentence[m.end() : m.end() + 40])
        n = re.match(r"\s*[(（]\s*" + _DOC_NUMBER.pattern + r"\s*[)）]", after)
        if n:
            pairs[m.group(1).strip()] = normalize_doc_number(n.group(1)) or ""
    return pairs


# ------------------------------------------------------------------------------------ repeals
@dataclass(frozen=True)
class Repeal:
    """A current policy/normative item whose clause repeals an earlier item of the same site."""

    site_id: int
    repealing_content_id: int
    repealed_content_id: int
    matched_by: str  # doc_number | title
    clause: str


@dataclass(frozen=True)
class _Doc:
    content_id: int
    title: str
    doc_number: str | None
    published: date | None
    body_text: str


def resolve_repeals(database_url: str, site_id: int) -> list[Repeal]:
    """Every repeal the site's current policy and normative items state, matched to their targets.

    A target is another current policy/normative item published before the repealing one, whose
    normalized 文号 equals a 文号 of the clause, or whose title contains a 《title》 of the clause. A
    title given with its 文号 (《X》（合震〔2019〕7号）) only matches items without a 文号 of their own:
    one with another 文号 is another document of that name.
    """
    docs = _policy_docs(database_url, site_id)
    by_number: dict[str, list[_Doc]] = {}
    for d in docs:
        if d.doc_number:
            by_number.setdefault(d.doc_number, []).append(d)
    found: dict[tuple[int, int], Repeal] = {}
    for doc in docs:
        if doc.published is None or not doc.body_text:
            continue
        for clause in find_repeal_clauses(doc.body_text):
            for number in clause.doc_numbers:
                for target in by_number.get(number, []):
                    if _earlier(target, doc):
                        found[(doc.content_id, target.content_id)] = Repeal(
                            site_id, doc.content_id, target.content_id, "doc_number", clause.sentence
                        )
            paired = title_pairs(clause.sentence)
            for title in clause.titles:
                number = paired.get(title)
                for target in docs:
                    if (
                        title in target.title
                        and _earlier(target, doc)
                        and (number is None or target.doc_number is None)
                        and (doc.content_id, target.content_id) not in found
                    ):
                        found[(doc.content_id, target.content_id)] = Repeal(
                            site_id, doc.content_id, target.content_id, "title", clause.sentence
                        )
    return sorted(found.values(), key=lambda r: (r.repealing_content_id, r.repealed_content_id))


def _earlier(target: _Doc, doc: _Doc) -> bool:
    return (
        target.content_id != doc.content_id
        and target.published is not None
        and doc.published is not None
        and target.published < doc.published
    )


def _policy_docs(database_url: str, site_id: int) -> list[_Doc]:
    with contextlib.closing(connect(database_url)) as conn, conn.cursor() as cur:
        cur.execute(
            """
            SELECT i.content_id, COALESCE(i.title, i.list_title, ''), i.doc_number,
                   COALESCE(i.publish_date, i.list_date), COALESCE(i.body_text, '')
            FROM core.items i
            JOIN core.columns c
              ON c.site_id = i.site_id AND c.organ_id = i.organ_id AND c.type = i.type AND c.cat_id = i.cat_id
            WHERE i.site_id = %s AND i.removed_at IS NULL AND i.version > 0 AND c.name = ANY(%s)
            ORDER BY i.content_id
            """,
            (site_id, list(POLICY_COLUMN_NAMES)),
        )
        return [
            _Doc(cid, title, normalize_doc_number(number), published, body)
            for cid, title, number, published, body in cur.fetchall()
        ]


def refresh_repeals(database_url: str, site_id: int, run_id: int | None) -> list[Repeal]:
    """Bring qa.repeals of the site in line with resolve_repeals, in one transaction.

    Rows still found keep their found_run; new ones get `run_id`; rows no longer found (the clause
    or a document was edited or removed) go. Running it twice changes nothing.
    """
    repeals = resolve_repeals(database_url, site_id)
    rows = [(site_id, r.repealing_content_id, r.repealed_content_id, r.matched_by, r.clause, run_id) for r in repeals]
    with contextlib.closing(connect(database_url)) as conn, conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('qa.repeals'), %s)", (site_id,))
        cur.execute(
            "CREATE TEMP TABLE found_repeals (LIKE qa.repeals INCLUDING DEFAULTS) ON COMMIT DROP",
        )
        if rows:
            psycopg2.extras.execute_values(
                cur,
                "INSERT INTO found_repeals (site_id, repealing_content_id, repealed_content_id, matched_by, clause, "
                "found_run) VALUES %s",
                rows,
            )
        cur.execute(
            """
            DELETE FROM qa.repeals r
            WHERE r.site_id = %s AND NOT EXISTS (
                SELECT 1 FROM found_repeals f
                WHERE f.repealing_content_id = r.repealing_content_id
                  AND f.repealed_content_id = r.repealed_content_id)
            """,
            (site_id,),
        )
        cur.execute(
            """
            INSERT INTO qa.repeals (site_id, repealing_content_id, repealed_content_id, matched_by, clause, found_run)
            SELECT site_id, repealing_content_id, repealed_content_id, matched_by, clause, found_run FROM found_repeals
            ON CONFLICT (site_id, repealing_content_id, repealed_content_id) DO UPDATE
                SET matched_by = EXCLUDED.matched_by, clause = EXCLUDED.clause
                WHERE (qa.repeals.matched_by, qa.repeals.clause) IS DISTINCT FROM (EXCLUDED.matched_by, EXCLUDED.clause)
            """
        )
    log.info("site %s: %d repeal(s) found in policy and normative documents", site_id, len(repeals))
    return repeals


__all__ = [
    "MIN_TITLE_CHARS",
    "POLICY_COLUMN_NAMES",
    "Repeal",
    "RepealClause",
    "find_repeal_clauses",
    "refresh_repeals",
    "resolve_repeals",
    "title_pairs",
]
