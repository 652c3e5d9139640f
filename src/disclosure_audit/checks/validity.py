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
        "行政规范性文件库·有效": "normative",
        "行政规范性文件库·失效": "normative",
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
# A part of a document: articles (第五条, 第三条第二款, 第三条、第七条, 第五条至第八条), provisions on a
# subject (中关于…的规定), some clauses, an annex. Matched on the text as written, so both comma forms.
_CN_DIGIT = "一二三四五六七八九十百千零〇两"
_ARTICLE = rf"第[{_CN_DIGIT}\d０-９]+(?:条|款|项|目|章|节|点|部分)"
_ARTICLE_JOIN = r"\s*(?:、|和|及|以及|与|至|到|—|－|-|～|~)\s*"
_ARTICLES = rf"{_ARTICLE}(?:\s*{_ARTICLE})*(?:{_ARTICLE_JOIN}{_ARTICLE}(?:\s*{_ARTICLE})*)*"
_PROVISION = r"中?(?:关于|有关|涉及)[^，,。；;]{1,60}?的(?:规定|条款|内容|表述|要求)"
_SOME = r"部分(?:条款|内容|规定)|附件\s*[\d０-９]+"
# A part right after what names the document: 《X》第五条, 《X》（合震〔2019〕7号）中关于…的规定,
# 合政〔2018〕12号文件第三条.
_PART_AFTER = re.compile(
    rf"\s*(?:文件|文)?\s*(?:(?P<provision>{_PROVISION})|(?:中|的|之)?\s*(?P<part>{_ARTICLES}|{_SOME}))"
)
# Without any of the trigger words above, a part followed by the repeal word is one: 《X》第五条废止.
_PART_TRIGGER = re.compile(rf"(?:{_ARTICLES}|{_PROVISION}|{_SOME})\s*(?:的规定|规定)?\s*(?:予以)?{_V}")
# Words after 废止 that make it a noun in another sense: a date field, an application, a procedure.
_NOT_A_REPEAL = re.compile(r"废止(?:日期|时间|申请|建议|程序|情况|工作|件数|目录|清单)")
# A sentence that announces a list of documents repealed (决定废止下列文件：, 下列文件予以废止：,
# 以下5件规范性文件自…起废止：, 废止的文件目录如下：); the documents follow in numbered items.
_LIST_HEAD = re.compile(
    r"(?:下列|以下)(?!简称)[^，,。；;：:]{0,20}?(?:文件|规章|目录)[^，,。；;：:]{0,30}?" + _V
    + r"|" + _V + r"(?:下列|以下|如下)[^，,。；;：:]{0,15}?(?:文件|规章)"
    + r"|" + _V + r"的[^，,。；;：:]{0,15}?(?:文件|规章|目录)[^，,。；;：:]{0,10}?如下"
)  # fmt: skip
# The marker that opens a list item, by style (matched on ASCII forms): a list keeps one style, so a
# section heading 二、 after items （一）（二） ends it.
_LIST_ITEM = re.compile(
    r"\s*(?:(?P<arabic>\d{1,3}\s*[.、](?!\d))|(?P<arabic_paren>\(\s*\d{1,3}\s*\))|(?P<arabic_half>\d{1,3}\s*\))"
    rf"|(?P<chinese_paren>\(\s*[{_CN_DIGIT}]{{1,3}}\s*\))|(?P<chinese>[{_CN_DIGIT}]{{1,3}}\s*、)"
    r"|(?P<circled>[①-⑳])|(?P<title>(?=《)))"
)
_METADATA_LINE = re.compile(
    r"^\s*(?:索\s*引\s*号|文\s*号|发文字号|有\s*效\s*性|时效性|成文日期|发布日期|生效日期|施行日期|实施日期"
    r"|废止日期|废止时间|失效日期|失效时间|有效期)\s*[：:]"
)
_TITLE = re.compile(r"《([^《》]{1,100})》")
# 文号: 机关代字, then the year in any bracket, then the serial and 号.
_DOC_CORE = r"[\u4e00-\u9fa5A-Za-z]{1,12}\s*[〔\[(（【［﹝〖]\s*\d{4}\s*[〕\])）】］﹞〗]\s*\d{1,5}\s*号"
_DOC_NUMBER = re.compile(rf"(?<![\u4e00-\u9fa5A-Za-z])({_DOC_CORE})")
# What names one document, on ASCII forms: a 《title》 with the 文号 after it, in brackets or not, or a 文号 alone.
_NAMED = re.compile(
    rf"《(?P<title>[^《》]{{1,100}})》(?:\s*\(\s*(?P<paired>{_DOC_CORE})\s*\)|\s*(?P<bare>{_DOC_CORE}))?"
    rf"|(?<![\u4e00-\u9fa5A-Za-z])(?P<number>{_DOC_CORE})"
)
# A list item that is only the 文号 of the item before it, wrapped onto its own line.
_NUMBER_LINE = re.compile(rf"\s*\(?\s*{_DOC_CORE}\s*\)?\s*[.,;。；，]?\s*$")
_SENTENCE_END = re.compile(r"(?<=[。！？；;!?])|\n")
_SEGMENT = re.compile(r"[，,：:]")
# A segment that states what a document rests on (根据《…法》), not what it repeals.
_BASIS = re.compile(r"\s*(?:根据|依据|依照|按照|为了|为|贯彻|落实)")
# 《》 content shorter than this is an abbreviation (《办法》, 《条例》, 以下简称《细则》), not a title.
MIN_TITLE_CHARS = 6


@dataclass(frozen=True)
class RepealClause:
    """One clause that repeals earlier documents, or parts of them, and what it names them by.

    kind: former (原《X》…废止), simultaneous (同时废止), from_date (自…起废止 / 不再执行),
    repealed (予以废止), no_longer (不再执行), stopped (停止执行), part (《X》第五条废止), list (决定废止
    下列文件：1.《A》2.《B》…, the sentence being the announcement and all its items).
    scope: whole, or partial when only `part` of the named documents is repealed (第五条, 第三条、第七条,
    中关于…的规定): the rest stays in force, so such a document may rightly remain 有效.
    """

    kind: str
    doc_numbers: list[str]  # normalized 文号 (normalize_doc_number)
    titles: list[str]  # as written inside 《》
    sentence: str
    scope: str = "whole"
    part: str | None = None  # as written; None for a whole repeal


@dataclass(frozen=True)
class _Named:
    """One document a clause names, and the part of it repealed (None: all of it)."""

    number: str | None
    title: str | None
    part: str | None


def find_repeal_clauses(body_text: str) -> list[RepealClause]:
    """The repeal clauses of a body, in order; sentences that mention 废止 in another sense are not.

    A sentence gives at most one clause of whole repeals and one per part repealed, however many
    repeal words it holds; a list (决定废止下列文件：1.…2.…) is one clause that reaches over its
    numbered items, however many lines they take.
    """
    text = body_text or ""
    spans = _sentence_spans(text)
    out: list[RepealClause] = []
    i = 0
    while i < len(spans):
        start, end = spans[i]
        sentence = text[start:end]
        i += 1
        if _METADATA_LINE.match(sentence):
            continue
        listed = _list_start(sentence)
        if listed is not None:
            first = _LIST_ITEM.match(to_ascii_forms(sentence[listed:])) if sentence[listed:].strip() else None
            last = _list_end(text, spans, i, first.lastgroup if first else None)
            clause_end = spans[last - 1][1] if last > i else end
            items = _named(text[start + listed : clause_end])
            if items:
                out += _clauses([("list", n) for n in items], text[start:clause_end])
                i = last
                continue
        out += _clauses(_sentence_targets(sentence), sentence)
    return out


def _sentence_targets(sentence: str) -> list[tuple[str, _Named]]:
    """(kind, document named) for every repeal of the sentence, one trigger after another:
    《A》第五条废止，《B》同时废止 repeals part of A and all of B."""
    out: list[tuple[str, _Named]] = []
    floor = 0
    while (trigger := _trigger(sentence, floor)) is not None:
        kind, at, after = trigger
        start, end = _targets(sentence, floor, at, after)
        out += [(kind, named) for named in _named(sentence[start:end])]
        floor = max(after, end)
    return out


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank sentence, whitespace trimmed: spans, so a list clause can quote
    the body as written from its announcement to its last item."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for a, b in spans:
        piece = text[a:b]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((a + lead, a + len(piece.rstrip())))
    return out


def _masked(sentence: str) -> str:
    return _NOT_A_REPEAL.sub(lambda m: "＿" * len(m.group(0)), sentence)


def _trigger(sentence: str, floor: int = 0) -> tuple[str, int, int] | None:
    """(kind, start, end) of the first repeal words in the sentence from `floor` on."""
    masked = _masked(sentence)
    best: tuple[int, str, int] | None = None
    for kind, pattern in _TRIGGERS:
        m = pattern.search(masked, floor)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), kind, m.end())
    # a bare 《X》第五条废止 counts when its 废止 comes first; words of the list above name the kind
    # when they are the same repeal words (第五条同时废止, 第三条停止执行)
    part = _PART_TRIGGER.search(masked, floor)
    if part and (best is None or part.end() <= best[0]):
        return "part", part.start(), part.end()
    if best is None:
        return None
    return best[1], best[0], best[2]


def _list_start(sentence: str) -> int | None:
    """Where the items begin when the sentence announces a list of repealed documents: after its
    colon, or at its end when the items start on the next line."""
    m = _LIST_HEAD.search(_masked(sentence))
    if m is None:
        return None
    colon = re.compile(r"[：:]").search(sentence, m.end())
    if colon:
        return colon.end()
    if not sentence[m.end() :].strip(" \t。."):
        return len(sentence)
    return None


def _list_end(text: str, spans: list[tuple[int, int]], i: int, style: str | None) -> int:
    """Index of the first sentence from `i` on that is no longer an item of the list (same marker
    style as the first item), a wrapped 文号 line counting as part of the item before it."""
    j = i
    while j < len(spans):
        sentence = to_ascii_forms(text[spans[j][0] : spans[j][1]])
        m = _LIST_ITEM.match(sentence)
        if m and (style is None or m.lastgroup == style):
            style = m.lastgroup
            j += 1
        elif style is not None and _NUMBER_LINE.match(sentence):
            j += 1
        else:
            break
    return j


def _targets(sentence: str, floor: int, start: int, end: int) -> tuple[int, int]:
    """(start, end) of the text naming what the repeal words at start:end apply to, from `floor` on
    (the end of what the sentence's previous repeal words took).

    The segment (between commas) that ends with the repeal words, if it names a document; else the
    one segment before it (原市政府印发的《A》，自…起停止执行), unless that one states a basis
    (根据《…法》); else after the words, up to the next comma (决定废止《A》、《B》).
    """
    bounds = [floor] + [m.end() for m in _SEGMENT.finditer(sentence, floor, end)]
    if _named(sentence[bounds[-1] : end]):
        return bounds[-1], end
    if len(bounds) > 1:
        before = sentence[bounds[-2] : bounds[-1]]
        if not _BASIS.match(before) and _named(before):
            return bounds[-2], bounds[-1]
    following = _SEGMENT.search(sentence, end)
    return start, following.start() if following else len(sentence)


def _named(text: str) -> list[_Named]:
    """The documents `text` names, each with the part of it that follows its name, if any."""
    ascii_text = to_ascii_forms(text)  # same length: positions agree with `text`
    out: list[_Named] = []
    covered = 0  # a part can quote titles (中关于执行《Y》的规定): those are not documents repealed
    for m in _NAMED.finditer(ascii_text):
        if m.start() < covered:
            continue
        title: str | None = None
        if m.group("title") is not None:
            title = text[m.start("title") : m.end("title")].strip()
            if len(title) < MIN_TITLE_CHARS or text[: m.start()].endswith("简称"):
                title = None
        raw_number = m.group("paired") or m.group("bare") or m.group("number")
        number = normalize_doc_number(raw_number) if raw_number else None
        p = _PART_AFTER.match(text, m.end())
        part: str | None = None
        if p:
            part = (p.group("provision") or p.group("part")).strip()
            covered = p.end()
        if title is not None or number is not None:
            out.append(_Named(number, title, part))
    return out


def _clauses(found: list[tuple[str, _Named]], sentence: str) -> list[RepealClause]:
    """The clause of the documents repealed whole, then one per part repealed of the others; each of
    the kind of the first repeal words that named one of its documents."""
    groups: dict[str | None, tuple[str, list[str], list[str]]] = {}
    for kind, named in found:
        _, numbers, titles = groups.setdefault(named.part, (kind, [], []))
        if named.number and named.number not in numbers:
            numbers.append(named.number)
        if named.title and named.title not in titles:
            titles.append(named.title)
    out: list[RepealClause] = []
    if None in groups:
        out.append(RepealClause(*groups.pop(None), sentence))
    for part, (kind, numbers, titles) in groups.items():
        out.append(RepealClause(kind, numbers, titles, sentence, "partial", part))
    return out


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
    """A current policy/normative item whose clause repeals an earlier item of the same site, or a part
    of it (`part` as written, 第五条 or 中关于…的规定; None when the whole document is repealed)."""

    site_id: int
    repealing_content_id: int
    repealed_content_id: int
    matched_by: str  # doc_number | title
    clause: str
    part: str | None = None


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

    Whole and partial repeals come in one list (whole first for the same pair). A document that one
    clause repeals whole and another only in part is repealed whole; the parts one document repeals of
    another are joined into one row (第五条；第七条).
    """
    docs = _policy_docs(database_url, site_id)
    by_number: dict[str, list[_Doc]] = {}
    for d in docs:
        if d.doc_number:
            by_number.setdefault(d.doc_number, []).append(d)
    whole: dict[tuple[int, int], Repeal] = {}
    partial: dict[tuple[int, int], Repeal] = {}
    for doc in docs:
        if doc.published is None or not doc.body_text:
            continue
        for clause in find_repeal_clauses(doc.body_text):
            for target, matched_by in _clause_targets(clause, doc, docs, by_number).items():
                key = (doc.content_id, target)
                if clause.part is None:
                    # a 文号 is the surer match: it replaces a title match an earlier clause made
                    if matched_by == "doc_number" or key not in whole:
                        whole[key] = Repeal(site_id, doc.content_id, target, matched_by, clause.sentence)
                    continue
                known = partial.get(key)
                if known is None:
                    partial[key] = Repeal(site_id, doc.content_id, target, matched_by, clause.sentence, clause.part)
                    continue
                parts = (known.part or "").split("；")
                partial[key] = Repeal(
                    site_id,
                    doc.content_id,
                    target,
                    "doc_number" if "doc_number" in (matched_by, known.matched_by) else "title",
                    known.clause if clause.sentence in known.clause else f"{known.clause}\n{clause.sentence}",
                    known.part if clause.part in parts else f"{known.part}；{clause.part}",
                )
    found = list(whole.values()) + [r for key, r in partial.items() if key not in whole]
    return sorted(found, key=lambda r: (r.repealing_content_id, r.repealed_content_id, r.part is not None))


def _clause_targets(
    clause: RepealClause, doc: _Doc, docs: list[_Doc], by_number: dict[str, list[_Doc]]
) -> dict[int, str]:
    """Content id → how it matched (doc_number or title), for the earlier documents `clause` names."""
    out: dict[int, str] = {}
    for number in clause.doc_numbers:
        for target in by_number.get(number, []):
            if _earlier(target, doc):
                out[target.content_id] = "doc_number"
    paired = title_pairs(clause.sentence)
    for title in clause.titles:
        number = paired.get(title)
        wanted = _angle_brackets(title)
        for target in docs:
            if (
                wanted in _angle_brackets(target.title)
                and _earlier(target, doc)
                and (number is None or target.doc_number is None)
                and target.content_id not in out
            ):
                out[target.content_id] = "title"
    return out


def _angle_brackets(title: str) -> str:
    """A title with inner 〈〉 as 《》: quoted inside 《》 (《关于印发〈X〉的通知》) a title must nest them."""
    return title.replace("〈", "《").replace("〉", "》")


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
    """Bring qa.repeals (whole repeals) and qa.partial_repeals (repeals of a part) of the site in line
    with resolve_repeals, in one transaction; returns what resolve_repeals found.

    Rows still found keep their found_run; new ones get `run_id`; rows no longer found (the clause
    or a document was edited or removed) go. Running it twice changes nothing. Only whole repeals go
    to qa.repeals: what validity.repealed_still_valid reads there must have ended the document.
    """
    repeals = resolve_repeals(database_url, site_id)
    whole = [
        (site_id, r.repealing_content_id, r.repealed_content_id, r.matched_by, r.clause, run_id)
        for r in repeals
        if r.part is None
    ]
    partial = [
        (site_id, r.repealing_content_id, r.repealed_content_id, r.matched_by, r.clause, r.part, run_id)
        for r in repeals
        if r.part is not None
    ]
    with contextlib.closing(connect(database_url)) as conn, conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('qa.repeals'), %s)", (site_id,))
        _sync(cur, "repeals", site_id, ("matched_by", "clause"), whole)
        _sync(cur, "partial_repeals", site_id, ("matched_by", "clause", "part"), partial)
    log.info(
        "site %s: %d repeal(s) and %d partial repeal(s) found in policy and normative documents",
        site_id,
        len(whole),
        len(partial),
    )
    return repeals


def _sync(cur, table: str, site_id: int, values: tuple[str, ...], rows: list[tuple]) -> None:
    """Make qa.<table> of the site hold exactly `rows` (key, `values`, found_run), keeping the
    found_run of rows already there. `table` and `values` are names from this module, never input."""
    columns = ", ".join(("site_id", "repealing_content_id", "repealed_content_id", *values, "found_run"))
    cur.execute(f"CREATE TEMP TABLE found_{table} (LIKE qa.{table} INCLUDING DEFAULTS) ON COMMIT DROP")
    if rows:
        psycopg2.extras.execute_values(cur, f"INSERT INTO found_{table} ({columns}) VALUES %s", rows)
    cur.execute(
        f"""
        DELETE FROM qa.{table} r
        WHERE r.site_id = %s AND NOT EXISTS (
            SELECT 1 FROM found_{table} f
            WHERE f.repealing_content_id = r.repealing_content_id
              AND f.repealed_content_id = r.repealed_content_id)
        """,
        (site_id,),
    )
    old = ", ".join(f"qa.{table}.{v}" for v in values)
    new = ", ".join(f"EXCLUDED.{v}" for v in values)
    cur.execute(
        f"""
        INSERT INTO qa.{table} ({columns})
        SELECT {columns} FROM found_{table}
        ON CONFLICT (site_id, repealing_content_id, repealed_content_id) DO UPDATE
            SET ({", ".join(values)}) = ROW({new})
            WHERE ({old}) IS DISTINCT FROM ({new})
        """
    )


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
