"""The replica's corpus: which items exist on a given day, what they show, and in which order.

Bulk items are computed from their position (column, k) by formula, so a corpus of 100,000
items answers any page or item without building the corpus in memory. Scenario items (the
seed document, every injected defect and its passing edge case) are a few hundred explicit
specifications merged into the lists by date.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from disclosure_audit.replica import text
from disclosure_audit.replica.model import (
    CORPUS_START,
    DAY0,
    SHANGHAI,
    STYLE_A,
    STYLE_A2,
    STYLE_B,
    STYLE_C,
    Attachment,
    Column,
    Item,
    Org,
    at,
    day_date,
    format_day,
)

BULK_ID_BASE = 10_000_000
REPORT_ID_BASE = 8_000_000
MAX_PER_COLUMN = 99_999
REPORT_YEARS = tuple(range(2019, 2026))

TOPIC_CLASS = {
    "earthquake": "综合政务\\应急管理",
    "science": "科技、教育\\科技",
    "finance": "财政、金融、审计\\财政",
    "education": "科技、教育\\教育",
    "government": "综合政务\\其他",
}
KEYWORD_SEPARATOR = {"A": " ", "A2": " ", "B": "，", "C": "；"}

# (index, name, kind, freshness, weight, end_gap_days, new_per_day)
STANDARD_COLUMNS = (
    (0, "政策文件", "policy", "policy", 12.0, 20, 0.2),
    (1, "规范性文件", "normative", "policy", 7.0, 30, 0.0),
    (2, "政策解读", "interpretation", "policy", 0.0, 30, 0.0),
    (3, "工作动态", "news", "news", 30.0, 1, 1.0),
    (4, "通知公告", "notice", "news", 14.0, 3, 0.5),
    (5, "人事信息", "personnel", "policy", 8.0, 40, 0.1),
    (6, "财政信息", "finance", "policy", 7.0, 60, 0.05),
    (7, "规划计划", "plan", "policy", 5.0, 90, 0.02),
)
REPORT_COLUMN_INDEX = 8
EXTRA_COLUMN_INDEX = 9


def _org(
    organ_id: int,
    name: str,
    short: str,
    code: str,
    prefix: str,
    domain: str,
    skin: int,
    style,
    encoding: str,
    page_base: int,
    template: str,
    weight: float = 1.0,
    interp_delta: int = 1,
    overrides: dict[int, dict] | None = None,
    extra: tuple[str, str] | None = None,
) -> Org:
    overrides = overrides or {}
    cols = []
    for idx, cname, kind, fresh, w, gap, rate in STANDARD_COLUMNS:
        col = Column(
            org_id=organ_id,
            cat_id=organ_id * 100 + idx,
            name=cname,
            kind=kind,
            freshness=fresh,
            weight=w,
            end_gap_days=gap,
            new_per_day=rate,
        )
        if kind == "interpretation":
            col = replace(col, paired_with=organ_id * 100 + 1, pair_delta_days=interp_delta)
        if idx in overrides:
            col = replace(col, **overrides[idx])
        cols.append(col)
    cols.append(
        Column(
            org_id=organ_id,
            cat_id=organ_id * 100 + REPORT_COLUMN_INDEX,
            name="年报",
            kind="report",
            freshness=None,
            type=3,
            weight=0.0,
            bulk=False,
        )
    )
    if extra:
        cols.append(
            Column(
                org_id=organ_id,
                cat_id=organ_id * 100 + EXTRA_COLUMN_INDEX,
                name=extra[0],
                kind=extra[1],
                freshness="policy",
                weight=0.0,
                bulk=False,
            )
        )
    return Org(
        organ_id=organ_id,
        name=name,
        short_name=short,
        code=code,
        doc_prefix=prefix,
        domain=domain,
        skin=skin,
        style=style,
        encoding=encoding,
        page_base=page_base,
        template=template,
        weight=weight,
        columns=tuple(cols),
    )


# The freshness scenarios live in the overrides: a column whose bulk ends long ago and gets no
# new items, so its newest item is a scenario item with an exact age.
_STALE = {"end_gap_days": 400, "new_per_day": 0.0}
ORGS: tuple[Org, ...] = (
    _org(
        1741,
        "合肥市人民政府",
        "市政府",
        "003249501",
        "合政",
        "government",
        1,
        STYLE_A,
        "utf-8",
        1,
        "/hfs/xxgk/publicInfoList_hfs",
        weight=1.5,
        interp_delta=0,
        overrides={7: _STALE},
    ),
    _org(
        6771,
        "合肥市地震局",
        "市地震局",
        "003249538",
        "合震",
        "earthquake",
        2,
        STYLE_B,
        "utf-8",
        1,
        "/hfdzj/xxgk/publicInfoList_dzj",
        interp_delta=1,
    ),
    _org(
        6705,
        "合肥市科学技术局",
        "市科技局",
        "003249546",
        "合科",
        "science",
        1,
        STYLE_A2,
        "utf-8",
        0,
        "/hfkjj/xxgk/publicInfoList_kjj",
        interp_delta=2,
        overrides={3: _STALE},
    ),
    _org(
        6713,
        "合肥市财政局",
        "市财政局",
        "00324955X",
        "合财",
        "finance",
        2,
        STYLE_C,
        "gb18030",
        1,
        "/hfczj/xxgk/publicInfoList_czj",
        interp_delta=3,
        overrides={7: _STALE},
    ),
    _org(
        6729,
        "合肥市教育局",
        "市教育局",
        "003249562",
        "合教",
        "education",
        1,
        STYLE_A,
        "utf-8",
        1,
        "/hfjyj/xxgk/publicInfoList_jyj",
        interp_delta=1,
        overrides={3: _STALE},
        extra=("重大建设项目", "plan"),
    ),
)
ORGS_BY_ID: dict[int, Org] = {o.organ_id: o for o in ORGS}
EARTHQUAKE_BUREAU = ORGS_BY_ID[6771]


def org_named(name: str) -> Org:
    for o in ORGS:
        if o.name == name:
            return o
    raise KeyError(f"no organisation named {name!r}; the replica has {', '.join(o.name for o in ORGS)}")


def attachment_path(seed: int, cid: int, n: int, ext: str) -> str:
    """A FastDFS-style path (/group1/M00/..) that encodes its item, as the platform's uploads look."""
    tag = hashlib.sha256(f"{seed}/{cid}/{n}".encode()).hexdigest()[:10]
    return f"/group1/M00/{cid % 256:02X}/{(cid // 256) % 256:02X}/rB{cid:08x}{n:x}{tag}.{ext}"


def parse_attachment_path(path: str) -> tuple[int, int] | None:
    """(content id, attachment number) encoded in a path made by `attachment_path`, or None."""
    parts = path.split("/")
    if len(parts) != 6 or parts[1] != "group1" or parts[2] != "M00":
        return None
    stem = parts[5].split(".", 1)[0]
    if not stem.startswith("rB") or len(stem) != 2 + 8 + 1 + 10:
        return None
    try:
        return int(stem[2:10], 16), int(stem[10], 16)
    except ValueError:
        return None


@dataclass
class Spec:
    """A scenario item, in normalized values plus what its page shows differently (`raw`)."""

    cid: int
    org: int
    column: str
    title: str
    publish_at: datetime
    written: date | None = None
    doc_number: str | None = None
    validity: str | None = None
    effective: date | str | None = None
    repeal: date | str | None = None
    issuer: str | None = None
    keywords: tuple[str, ...] = ()
    summary: str | None = None
    name: str | None = None
    index_number: str | None = None
    level: str | None = None
    # what the page shows instead of the formatted value; None = the label is not rendered
    raw: dict[str, str | None] = field(default_factory=dict)
    body: list[str] | None = None
    attachments: list[Attachment] | None = None
    interpretations: list[int] = field(default_factory=list)
    originals: list[int] = field(default_factory=list)
    repeals: tuple[int, ...] = ()
    workday_lag: int | None = None
    intent: frozenset[str] = frozenset()
    appears: int = 0
    removed_from: int | None = None
    changes: dict[int, dict] = field(default_factory=dict)  # day -> Spec field overrides from that day
    intent_from: dict[int, frozenset[str]] = field(default_factory=dict)  # day -> intent from that day
    scenario: str = ""
    # content ids of which the body repeals only a part (《X》第五条废止): those stay in force, so the
    # truth never counts them as repealed
    partial_repeals: tuple[int, ...] = ()
    # interpretation links to other sites (shown under 相关解读 after the site's own)
    external_interpretations: tuple[str, ...] = ()

    def on_day(self, day: int) -> Spec:
        """This specification as it stands on `day` (changes applied in day order)."""
        s = self
        for d in sorted(self.changes):
            if d <= day:
                ch = dict(self.changes[d])
                if "raw" in ch:
                    ch["raw"] = {**s.raw, **ch["raw"]}
                s = replace(s, **ch)
        return s

    def intent_on(self, day: int) -> frozenset[str]:
        out = self.intent
        for d in sorted(self.intent_from):
            if d <= day:
                out = self.intent_from[d]
        return out

    def visible_on(self, day: int) -> bool:
        return self.appears <= day and (self.removed_from is None or day < self.removed_from)

    def changed_at(self, day: int) -> datetime | None:
        days = [d for d in self.changes if 0 < d <= day and d > self.appears]
        return at(day_date(max(days)), 9, 30) if days else None


def collapse(value: str) -> str:
    """Whitespace (including full-width spaces) collapsed to single spaces and stripped."""
    return " ".join(value.split())


def split_keywords(value: str) -> list[str]:
    for sep in ("，", "；", ",", ";", "、"):
        value = value.replace(sep, " ")
    return value.split()


class Corpus:
    """The platform's content on one simulated day.

    `items` is the day-0 total number of items (scenario items and annual reports included);
    `day` moves the calendar on; `seed` varies generated text, never the scenarios.
    """

    def __init__(self, items: int = 300, day: int = 0, seed: int = 0) -> None:
        from disclosure_audit.replica.scenarios import build_specs

        if day < 0:
            raise ValueError(f"--day must be 0 or more, got {day}")
        self.n_items = items
        self.day = day
        self.seed = seed
        self.orgs = ORGS
        self.as_of = day_date(day)
        all_specs = build_specs(seed)
        self._specs: dict[int, Spec] = {s.cid: s for s in all_specs}
        fixed = sum(1 for s in all_specs if s.appears == 0) + len(ORGS) * len(REPORT_YEARS)
        bulk_columns = [(o, c) for o in ORGS for c in o.columns if c.bulk and c.kind != "interpretation"]
        weights = [o.weight * c.weight * (2 if c.kind == "normative" else 1) for o, c in bulk_columns]
        budget = items - fixed
        if budget < len(bulk_columns) * 3:
            raise ValueError(
                f"--items {items} is too small: the scenarios and annual reports take {fixed} items and each "
                f"of the {len(bulk_columns)} regular columns needs at least 3 more; use --items "
                f"{fixed + len(bulk_columns) * 3} or more"
            )
        self._n0: dict[int, int] = {}
        # normative columns share their budget with the paired interpretation column
        counts = _largest_remainder(budget, weights)
        for (o, c), n in zip(bulk_columns, counts, strict=True):
            if c.kind == "normative":
                norm = max(1, n // 2)
                self._n0[c.cat_id] = norm
                interp = next(x for x in o.columns if x.paired_with == c.cat_id)
                self._n0[interp.cat_id] = norm
                self._n0[o.columns[0].cat_id] = self._n0.get(o.columns[0].cat_id, 0) + (n - 2 * norm)
            else:
                self._n0[c.cat_id] = self._n0.get(c.cat_id, 0) + n
        for cat_id, n in self._n0.items():
            if n > MAX_PER_COLUMN:
                raise ValueError(f"--items {items} puts {n} items in column {cat_id}; at most {MAX_PER_COLUMN}")
        self._columns: dict[int, tuple[Org, Column]] = {c.cat_id: (o, c) for o in ORGS for c in o.columns}
        self._col_index: dict[int, tuple[int, int]] = {}
        for oi, o in enumerate(ORGS):
            for c in o.columns:
                self._col_index[c.cat_id] = (oi, c.cat_id % 100)
        # visible scenario items and annual reports, per column, sorted by (publish_at, cid)
        self._extra_by_col: dict[int, list[tuple[datetime, int]]] = {}
        self._day_specs: dict[int, Spec] = {}
        for s in all_specs:
            if not s.visible_on(day):
                continue
            sd = s.on_day(day)
            self._day_specs[s.cid] = sd
            col = ORGS_BY_ID[s.org].column_named(sd.column)
            self._extra_by_col.setdefault(col.cat_id, []).append((sd.publish_at, s.cid))
        for oi, o in enumerate(ORGS):
            rc = o.columns[REPORT_COLUMN_INDEX]
            for y in REPORT_YEARS:
                cid = REPORT_ID_BASE + oi * 100 + (y - 2000)
                self._extra_by_col.setdefault(rc.cat_id, []).append((self._report_publish(o, y), cid))
        for lst in self._extra_by_col.values():
            lst.sort()
        # whole repeals only: a document repealed in part (Spec.partial_repeals) rightly stays 有效
        self._repealed_by: dict[int, list[int]] = {}
        for s in self._day_specs.values():
            for target in s.repeals:
                self._repealed_by.setdefault(target, []).append(s.cid)

    # ----------------------------------------------------------------- layout
    def column(self, cat_id: int) -> tuple[Org, Column] | None:
        return self._columns.get(cat_id)

    def org(self, organ_id: int) -> Org | None:
        return ORGS_BY_ID.get(organ_id)

    def spec(self, cid: int) -> Spec | None:
        """The scenario specification of a visible scenario item, as it stands today."""
        return self._day_specs.get(cid)

    def all_specs(self) -> dict[int, Spec]:
        return self._specs

    # ------------------------------------------------------------- bulk dates
    def bulk_count(self, col: Column) -> int:
        n0 = self._n0.get(col.cat_id, 0)
        if col.paired_with is not None:
            return self.bulk_count(self._columns[col.paired_with][1])
        return n0 + self.day * _per_mille(col.new_per_day) // 1000

    def _bulk_position(self, col: Column, k: int) -> tuple[int, int]:
        """(day offset from CORPUS_START, minutes after 09:00) of bulk item k: monotonic in k.

        Day-0 items are spread evenly from CORPUS_START to `end_gap_days` before day 0; later items
        arrive at `new_per_day`, one a day at most, at 10:00. Integer arithmetic keeps it exact.
        """
        if col.paired_with is not None:
            day, minutes = self._bulk_position(self._columns[col.paired_with][1], k)
            return day + col.pair_delta_days, minutes + 30  # interpretations follow their document
        n0 = self._n0.get(col.cat_id, 0)
        if k < n0:
            span = (DAY0 - timedelta(days=col.end_gap_days) - CORPUS_START).days
            den = max(n0 - 1, 1)
            day, rest = divmod(span * k if n0 > 1 else span * den, den)
            return day, rest * 480 // den
        # new item j (0-based) appears on day ceil((j+1)/rate); rate is held in thousandths for exactness
        days_after_day0 = -(-(k - n0 + 1) * 1000 // _per_mille(col.new_per_day))
        return (DAY0 - CORPUS_START).days + days_after_day0, 60

    def _bulk_date(self, col: Column, k: int) -> date:
        return CORPUS_START + timedelta(days=self._bulk_position(col, k)[0])

    def _bulk_datetime(self, col: Column, k: int) -> datetime:
        day, minutes = self._bulk_position(col, k)
        d = CORPUS_START + timedelta(days=day)
        return at(d, 9 + minutes // 60, minutes % 60)

    def _first_k_on_or_after(self, col: Column, d: date, hi: int) -> int:
        """The first bulk position in [0, hi] whose date is `d` or later."""
        lo = 0
        while lo < hi:
            mid = (lo + hi) // 2
            if self._bulk_date(col, mid) < d:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _bulk_cid(self, col: Column, k: int) -> int:
        oi, ci = self._col_index[col.cat_id]
        return BULK_ID_BASE + oi * 1_000_000 + ci * 100_000 + k

    def _decode_bulk(self, cid: int) -> tuple[Org, Column, int] | None:
        if cid < BULK_ID_BASE:
            return None
        rest = cid - BULK_ID_BASE
        oi, rest = divmod(rest, 1_000_000)
        ci, k = divmod(rest, 100_000)
        if oi >= len(ORGS):
            return None
        org = ORGS[oi]
        col = org.column(org.organ_id * 100 + ci)
        if col is None or not col.bulk or k >= self.bulk_count(col):
            return None
        return org, col, k

    # ---------------------------------------------------------------- listing
    def column_size(self, col: Column) -> int:
        return (self.bulk_count(col) if col.bulk else 0) + len(self._extra_by_col.get(col.cat_id, ()))

    def list_page(self, col: Column, page: int, size: int) -> list[Item]:
        """Items of a column, newest first: page `page` (0-based) of `size` items."""
        return [self.item(cid) for cid in self.list_ids(col, page * size, size)]  # type: ignore[misc]

    def list_ids(self, col: Column, start: int, count: int) -> list[int]:
        total = self.column_size(col)
        out = []
        for pos in range(start, min(start + count, total)):
            out.append(self._id_at_ascending(col, total - 1 - pos))
        return out

    def _id_at_ascending(self, col: Column, a: int) -> int:
        extras = self._extra_by_col.get(col.cat_id, [])
        nb = self.bulk_count(col) if col.bulk else 0

        def asc_pos(k: int) -> int:
            key = (self._bulk_datetime(col, k), self._bulk_cid(col, k))
            return k + bisect.bisect_left(extras, key)

        lo, hi = 0, nb
        while lo < hi:
            mid = (lo + hi) // 2
            if asc_pos(mid) < a:
                lo = mid + 1
            else:
                hi = mid
        if lo < nb and asc_pos(lo) == a:
            return self._bulk_cid(col, lo)
        return extras[a - lo][1]

    def newest_publish(self, col: Column) -> datetime | None:
        ids = self.list_ids(col, 0, 1)
        if not ids:
            return None
        item = self.item(ids[0])
        return item.publish_at if item else None

    def iter_ids(self) -> Iterator[int]:
        """Every visible content id, column by column, oldest first (one merge pass, no searching)."""
        for o in ORGS:
            for col in o.columns:
                extras = self._extra_by_col.get(col.cat_id, [])
                nb = self.bulk_count(col) if col.bulk else 0
                e = 0
                for k in range(nb):
                    key = (self._bulk_datetime(col, k), self._bulk_cid(col, k))
                    while e < len(extras) and extras[e] < key:
                        yield extras[e][1]
                        e += 1
                    yield key[1]
                for _, cid in extras[e:]:
                    yield cid

    # ------------------------------------------------------------------ items
    def exists(self, cid: int) -> bool:
        if cid in self._day_specs:
            return True
        if REPORT_ID_BASE <= cid < BULK_ID_BASE:
            return self._report_key(cid) is not None
        return self._decode_bulk(cid) is not None

    def organ_of(self, cid: int) -> int | None:
        """The organisation that publishes a visible item, without building the item."""
        spec = self._day_specs.get(cid)
        if spec is not None:
            return spec.org
        if REPORT_ID_BASE <= cid < BULK_ID_BASE:
            key = self._report_key(cid)
            return key[0].organ_id if key else None
        decoded = self._decode_bulk(cid)
        return decoded[0].organ_id if decoded else None

    def item(self, cid: int, body: bool = True) -> Item | None:
        """The item on the corpus day, or None. `body=False` skips generating body text (truth needs none)."""
        return _item_cached(self, cid, body)

    def attachment(self, path: str) -> tuple[Item, Attachment] | None:
        decoded = parse_attachment_path(path)
        if decoded is None:
            return None
        item = self.item(decoded[0])
        if item is None:
            return None
        for a in item.attachments:
            if a.path == path:
                return item, a
        return None

    def repealed_by(self, cid: int) -> list[int]:
        return self._repealed_by.get(cid, [])

    def _build(self, cid: int, body: bool = True) -> Item | None:
        sd = self._day_specs.get(cid)
        if sd is not None:
            return self._from_spec(sd)
        if REPORT_ID_BASE <= cid < BULK_ID_BASE:
            return self._report_item(cid)
        decoded = self._decode_bulk(cid)
        if decoded is None:
            return None
        return self._bulk_item(*decoded, with_body=body)

    def _bulk_item(self, org: Org, col: Column, k: int, with_body: bool = True) -> Item:
        cid = self._bulk_cid(col, k)
        r = text.rng_for(self.seed, "item", cid)
        publish_at = self._bulk_datetime(col, k)
        pd = publish_at.date()
        interpretations: list[int] = []
        originals: list[int] = []
        if col.kind == "interpretation":
            norm_col = self._columns[col.paired_with][1]  # type: ignore[index]
            original = self._bulk_item_title(org, norm_col, k)
            title = text.interpretation_title(original)
            originals = [self._bulk_cid(norm_col, k)]
            written = pd
        else:
            title = self._bulk_item_title(org, col, k)
            written = pd - timedelta(days=r.randint(0, 7) if col.kind in ("policy", "normative") else r.randint(0, 1))
        if col.kind == "normative":
            interp_col = next(c for c in org.columns if c.paired_with == col.cat_id)
            interpretations = [self._bulk_cid(interp_col, k)]
        doc_number = validity = effective = repeal = level = None
        attachments: list[Attachment] = []
        if col.kind in ("policy", "normative"):
            first = self._first_k_on_or_after(col, date(pd.year, 1, 1), k)
            serial = 100 + (k - first)
            prefix = org.doc_prefix + ("规" if col.kind == "normative" else "")
            doc_number = f"{prefix}〔{pd.year}〕{serial}号"
            validity = "有效"
            effective = written
            attachments.append(Attachment(attachment_path(self.seed, cid, 0, "pdf"), f"{title}.pdf", "pdf"))
            if r.random() < 0.3:
                ext = r.choice(("doc", "wps"))
                attachments.append(Attachment(attachment_path(self.seed, cid, 1, ext), f"{title}.{ext}", ext))
            if col.kind == "normative":
                level = "规范性文件"
                repeal = "五年" if org.style.key == "A" else None
        first_m = self._first_k_on_or_after(col, date(pd.year, pd.month, 1), k)
        ci = col.cat_id % 100
        # serials: bulk (column+1)*10000+rank, scenarios below 10000 or 90000+, reports 98000+
        index_number = f"{org.code}/{pd.year}{pd.month:02d}-{(ci + 1) * 10000 + (k - first_m):05d}"
        body = text.body_for(r, org.short_name, org.domain, pd.year, col.kind) if with_body else []
        edits = self._bulk_edit_days(cid, publish_at)
        if edits and with_body:
            body = body + [f"（本信息于{format_day(day_date(edits[-1]), '%Y年%m月%d日')}更新，第{len(edits)}次修订。）"]
        spec = Spec(
            cid=cid,
            org=org.organ_id,
            column=col.name,
            title=title,
            publish_at=publish_at,
            written=written,
            doc_number=doc_number,
            validity=validity,
            effective=effective,
            repeal=repeal,
            keywords=(text.TOPICS[org.domain][cid % len(text.TOPICS[org.domain])], col.name),
            level=level,
            body=body,
            attachments=attachments,
            interpretations=interpretations,
            originals=originals,
            index_number=index_number,
        )
        item = self._from_spec(spec)
        if edits:
            item.changed_at = at(day_date(edits[-1]), 9, 30)
        return item

    def _bulk_item_title(self, org: Org, col: Column, k: int) -> str:
        cid = self._bulk_cid(col, k)
        r = text.rng_for(self.seed, "title", cid)
        return text.title_for(col.kind, r, org.name, org.short_name, org.domain, self._bulk_date(col, k).year)

    def _bulk_edit_days(self, cid: int, publish_at: datetime) -> list[int]:
        """Days on which a bulk item is silently edited (its body only): about one item in 250 a day."""
        out = []
        for d in range(1, self.day + 1):
            if day_date(d) > publish_at.date() and text.stable_int(self.seed, "edit", cid, d) % 250 == 0:
                out.append(d)
        return out

    def _from_spec(self, s: Spec) -> Item:
        """Render a specification into an Item: displayed values by the org's style, truth by the model."""
        org = ORGS_BY_ID[s.org]
        col = org.column_named(s.column)
        style = org.style
        issuer = s.issuer if s.issuer is not None else org.name
        shown: dict[str, str | None] = {
            "index_number": s.index_number or self._scenario_index_number(org, s),
            "category": col.name,
            "topic": TOPIC_CLASS[org.domain],
            "issuer": issuer,
            "written_date": format_day(s.written, style.written_fmt) if s.written else None,
            "publish_date": format_day(s.publish_at, style.publish_fmt),
            "name": s.name if s.name is not None else s.title,
            "keywords": KEYWORD_SEPARATOR[style.key].join(s.keywords) if s.keywords else None,
            "summary": s.summary,
        }
        if col.kind in ("policy", "normative"):
            shown["doc_number"] = s.doc_number
            shown["validity"] = style.validity_words.get(s.validity, s.validity) if s.validity else None
            shown["effective_date"] = _show_date(s.effective, style.written_fmt)
            shown["repeal_date"] = _show_date(s.repeal, style.written_fmt)
        if s.level:
            shown["level"] = s.level
        for k, v in s.raw.items():
            if k != "title":
                shown[k] = v
        fields = {k: v for k, v in shown.items() if v is not None}
        title_shown = s.raw.get("title") or s.title
        body = (
            list(s.body)
            if s.body is not None
            else text.body_for(
                text.rng_for(self.seed, "body", s.cid),
                org.short_name,
                org.domain,
                s.publish_at.year,
                col.kind,
            )
        )
        attachments = s.attachments
        if attachments is None:
            attachments = (
                [Attachment(attachment_path(self.seed, s.cid, 0, "pdf"), f"{s.title}.pdf", "pdf")]
                if col.kind in ("policy", "normative")
                else []
            )

        def present(key: str) -> bool:
            return key in fields

        truth = {
            "content_id": s.cid,
            "org": org.name,
            "column": col.name,
            "title": collapse(title_shown),
            "name": collapse(fields["name"]) if present("name") else None,
            "index_number": collapse(fields["index_number"]) if present("index_number") else None,
            "doc_number": s.doc_number if present("doc_number") else None,
            "written_date": s.written.isoformat() if present("written_date") and s.written else None,
            "publish_date": s.publish_at.date().isoformat() if present("publish_date") else None,
            "validity": s.validity if present("validity") else None,
            "effective_date": _truth_date(s.effective) if present("effective_date") else None,
            "repeal_date": _truth_date(s.repeal) if present("repeal_date") else None,
            "issuer": collapse(fields["issuer"]) if present("issuer") else None,
            "topic": fields.get("topic"),
            "category": fields.get("category"),
            "keywords": split_keywords(fields["keywords"]) if present("keywords") else [],
            "summary": collapse(fields["summary"]) if present("summary") else None,
        }
        spec = self._specs.get(s.cid)
        return Item(
            content_id=s.cid,
            org=org,
            column=col,
            title=title_shown,
            publish_at=s.publish_at,
            fields=fields,  # type: ignore[arg-type]
            body=body,
            attachments=list(attachments),
            interpretation_ids=list(s.interpretations),
            original_ids=list(s.originals),
            external_interpretations=s.external_interpretations,
            truth=truth,
            changed_at=spec.changed_at(self.day) if spec else None,
            scenario=s.scenario or None,
            intent=spec.intent_on(self.day) if spec else frozenset(),
            workday_lag=s.workday_lag,
            repeals=s.repeals,
        )

    def _scenario_index_number(self, org: Org, s: Spec) -> str:
        d = s.publish_at
        return f"{org.code}/{d.year}{d.month:02d}-{90000 + s.cid % 10000:05d}"

    # --------------------------------------------------------- annual reports
    def _report_key(self, cid: int) -> tuple[Org, int] | None:
        oi, rest = divmod(cid - REPORT_ID_BASE, 100)
        year = 2000 + rest
        if 0 <= oi < len(ORGS) and year in REPORT_YEARS:
            return ORGS[oi], year
        return None

    @staticmethod
    def _report_publish(org: Org, year: int) -> datetime:
        return at(date(year + 1, 1, 18 + (org.organ_id + year) % 10), 10, 0)

    def _report_item(self, cid: int) -> Item | None:
        from disclosure_audit.replica.reports import report_figures

        key = self._report_key(cid)
        if key is None:
            return None
        org, year = key
        publish_at = self._report_publish(org, year)
        report = report_figures(self.seed, org, year)
        spec = Spec(
            cid=cid,
            org=org.organ_id,
            column="年报",
            title=f"{org.name}{year}年政府信息公开工作年度报告",
            publish_at=publish_at,
            written=publish_at.date(),
            keywords=("年度报告", "政府信息公开"),
            body=[],
            attachments=[],
            index_number=f"{org.code}/{publish_at.year}{publish_at.month:02d}-{98000 + year % 100:05d}",
        )
        item = self._from_spec(spec)
        item.report = report
        return item


@lru_cache(maxsize=4096)
def _item_cached(corpus: Corpus, cid: int, body: bool) -> Item | None:
    return corpus._build(cid, body)


def _per_mille(rate: float) -> int:
    return round(rate * 1000)


def _show_date(v: date | str | None, fmt: str) -> str | None:
    if v is None:
        return None
    if isinstance(v, date):
        return format_day(v, fmt)
    return v


def _truth_date(v: date | str | None) -> str | None:
    if v is None:
        return None
    return v.isoformat() if isinstance(v, date) else v


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    """Split `total` by `weights` with at least 3 each, deterministically."""
    n = len(weights)
    base = [3] * n
    rest = total - 3 * n
    s = sum(weights)
    shares = [rest * w / s for w in weights]
    floors = [int(x) for x in shares]
    left = rest - sum(floors)
    order = sorted(range(n), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [b + f for b, f in zip(base, floors, strict=True)]


def now_in_site(day: int) -> datetime:
    """The replica's clock at the start of serving: 21:00 Beijing time on the simulated day."""
    return at(day_date(day), 21, 0).astimezone(SHANGHAI)
