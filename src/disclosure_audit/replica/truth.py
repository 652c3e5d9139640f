"""Ground truth of the replica: every item's normalized metadata, every defect, every change of the day.

The truth is computed from the replica's own model (what each page shows and what the scenario
meant), never by the parser, normalizer or checks under test. Normalized values follow these
conventions, which `disclosure-audit items` must reproduce:

- text fields: whitespace (full-width spaces included) collapsed to single spaces, stripped;
- 文号: canonical `代字〔YYYY〕N号` (brackets unified, whitespace removed);
- dates: ISO `YYYY-MM-DD`; a date shown but not a real date is null; 生效/废止 fields that hold
  free text (for example 五年) keep the text;
- 有效性: canonical 有效 / 失效 / 废止 / 修改 / 部分失效 / 尚未生效 (现行有效 → 有效, 已废止 → 废止 ...);
- keywords: a list split on spaces and Chinese or ASCII separators;
- a field whose label the page does not show is null (lists: empty).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date

from disclosure_audit import rules
from disclosure_audit.fields import ITEM_RECORD_KEYS
from disclosure_audit.replica.corpus import BULK_ID_BASE, Corpus
from disclosure_audit.replica.model import Item
from disclosure_audit.replica.text import doc_number_well_formed, index_number_well_formed
from disclosure_audit.replica.variants import DEPARTMENT_ORG, library_tab

TRUTH_ITEM_KEYS = ITEM_RECORD_KEYS

LIBRARY_COLUMNS = ("规范性文件", "行政规范性文件")  # what a library lists (pages.library_columns)


def item_url(base_url: str, organ_id: int, cid: int) -> str:
    return f"{base_url}/public/{organ_id}/{cid}.html"


def truth_record(corpus: Corpus, item: Item, base_url: str) -> dict:
    """The item's normalized metadata under the keys `disclosure-audit items` prints."""
    t = item.truth

    def link(cid: int) -> str:
        return item_url(base_url, corpus.organ_of(cid) or item.org.organ_id, cid)

    seen: list[str] = []
    for a in item.attachments:
        u = base_url + a.path
        if u not in seen:
            seen.append(u)
    rec = {
        "content_id": item.content_id,
        "url": item_url(base_url, item.org.organ_id, item.content_id),
        **{
            k: t[k]
            for k in (
                "org",
                "column",
                "title",
                "index_number",
                "doc_number",
                "written_date",
                "publish_date",
                "validity",
                "effective_date",
                "repeal_date",
                "issuer",
                "topic",
                "keywords",
                "summary",
            )
        },
        "attachments": seen,
        "interpretation_urls": [link(c) for c in item.interpretation_ids] + list(item.external_interpretations),
        "original_urls": [link(c) for c in item.original_ids],
        "name": t["name"],
        "category": t["category"],
    }
    return rec


def _stray_whitespace(value: str) -> bool:
    return value != value.strip() or "\u3000" in value or re.search(r"\s{2,}", value) is not None


def _workday_lag(item: Item, written: date, published: date) -> int | None:
    """Working days after 成文日期 up to 发布日期; the replica keeps lags of more than 20 calendar days
    only where a scenario states them (from the official schedules), since a lag within 20 calendar
    days is within 20 working days whatever the calendar says."""
    if (published - written).days <= rules.get("timing.publish_lag").param("max_workdays"):
        return None  # certainly within the limit
    if item.workday_lag is None:
        raise AssertionError(
            f"replica item {item.content_id} has {(published - written).days} calendar days between "
            "成文日期 and 发布日期 but states no working-day lag; scenarios must state lags beyond 20 "
            "calendar days"
        )
    return item.workday_lag


def item_defects(corpus: Corpus, item: Item, duplicate_index_numbers: set[str]) -> tuple[set[str], set[str]]:
    """(rules the item breaks, rules that cannot be evaluated for it)."""
    f = item.fields
    t = item.truth
    kind = item.column.kind
    broken: set[str] = set()
    not_evaluable: set[str] = set()

    def shown(key: str) -> bool:
        return bool(f.get(key, "").strip())

    if kind in rules.POLICY_KINDS and not all(
        shown(k) for k in rules.get("completeness.policy_fields").param("fields")
    ):
        broken.add("completeness.policy_fields")
    if not all(shown(k) for k in rules.get("completeness.item_fields").param("fields")):
        broken.add("completeness.item_fields")
    if shown("issuer") and item.org.name not in [p.strip() for p in f["issuer"].split("、")]:
        broken.add("completeness.issuer_full_name")
    if shown("doc_number") and not doc_number_well_formed(f["doc_number"]):
        broken.add("format.doc_number")
    if (shown("written_date") and t["written_date"] is None) or (shown("publish_date") and t["publish_date"] is None):
        broken.add("format.date")
    values = [item.title] + [f[k] for k in ("name", "issuer") if k in f]
    if any(_stray_whitespace(v) for v in values) or ("doc_number" in f and re.search(r"\s", f["doc_number"])):
        broken.add("format.whitespace")
    if shown("name") and " ".join(f["name"].split()) != " ".join(item.title.split()):
        broken.add("format.title_match")
    if shown("index_number"):
        number = f["index_number"].strip()
        if not index_number_well_formed(number):
            broken.add("format.index_number")
        if number in duplicate_index_numbers:
            broken.add("format.index_number_unique")
    if kind in rules.POLICY_KINDS and not any(a.served == "pdf" for a in item.attachments):
        broken.add("attachment.pdf")
    if kind in rules.NORMATIVE_KINDS:
        if not (item.interpretation_ids or item.external_interpretations) or not all(
            corpus.exists(c) for c in item.interpretation_ids
        ):
            broken.add("linkage.interpretation")
        elif item.external_interpretations:
            # a link to another site is recorded, never fetched: whether it resolves is not known
            not_evaluable.add("linkage.interpretation")
    if kind in rules.INTERPRETATION_KINDS and (
        not item.original_ids or not all(corpus.exists(c) for c in item.original_ids)
    ):
        broken.add("linkage.backlink")

    written = date.fromisoformat(t["written_date"]) if t["written_date"] else None
    published = date.fromisoformat(t["publish_date"]) if t["publish_date"] else None
    if written and published and published >= written:
        first, last = rules.FIRST_SCHEDULED_YEAR, rules.LAST_SCHEDULED_YEAR
        if not (first <= written.year and published.year <= last):
            not_evaluable.add("timing.publish_lag")
        else:
            lag = _workday_lag(item, written, published)
            if lag is not None and lag > rules.get("timing.publish_lag").param("max_workdays"):
                broken.add("timing.publish_lag")
    if kind in rules.INTERPRETATION_KINDS and published:
        max_days = rules.get("timing.interpretation_lag").param("max_days")
        for c in item.original_ids:
            original = corpus.item(c, body=False)
            if original and original.truth["publish_date"]:
                gap = (published - date.fromisoformat(original.truth["publish_date"])).days
                if gap > max_days:
                    broken.add("timing.interpretation_lag")
    if written:
        effective = t["effective_date"]
        effective_day = _as_date(effective)
        if (published and published < written) or (effective_day and effective_day < written):
            broken.add("timing.date_order")
    if (written and written > corpus.as_of) or (published and published > corpus.as_of):
        broken.add("timing.future_date")

    # repealed_by holds whole repeals only: a part repealed (第五条废止) leaves the document in force
    repealed = any(corpus.exists(r) for r in corpus.repealed_by(item.content_id))
    if kind in rules.POLICY_KINDS and t["validity"] in rules.VALID_STATES and repealed:
        broken.add("validity.repealed_still_valid")
    if kind in rules.NORMATIVE_KINDS:
        ended = t["validity"] in rules.ENDED_STATES
        if not shown("validity") or not shown("effective_date") or (ended and not shown("repeal_date")):
            broken.add("validity.register_complete")

    spec = corpus.all_specs().get(item.content_id)
    if spec is not None and spec.changes:
        first = corpus._from_spec(spec.on_day(spec.appears)).truth
        for key in ("doc_number", "written_date", "publish_date"):
            if first[key] is not None and t[key] is not None and first[key] != t[key]:
                broken.add("stability.key_fields_changed")
    return broken, not_evaluable


def _as_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def column_defects(corpus: Corpus) -> Iterator[dict]:
    """Empty and stale catalogue columns on the corpus day."""
    fresh = rules.get("freshness.column_stale")
    for org in corpus.orgs:
        for col in org.columns:
            if col.type != 4 or col.freshness is None:
                continue
            newest = corpus.newest_publish(col)
            if newest is None:
                yield {"rule_id": "freshness.column_empty", "org": org.name, "column": col.name}
                continue
            limit = fresh.param("news_days") if col.freshness == "news" else fresh.param("policy_days")
            if (corpus.as_of - newest.date()).days > limit:
                yield {"rule_id": "freshness.column_stale", "org": org.name, "column": col.name}


def changes(corpus: Corpus) -> list[dict]:
    """What changed between the previous day and this one (empty on day 0)."""
    day = corpus.day
    if day == 0:
        return []
    before = Corpus(corpus.n_items, day - 1, corpus.seed)
    out: list[dict] = []
    for org in corpus.orgs:
        for col in org.columns:
            if not col.bulk:
                continue
            for k in range(before.bulk_count(col), corpus.bulk_count(col)):
                out.append({"content_id": corpus._bulk_cid(col, k), "change": "new", "list_visible": True})
    for cid, spec in corpus.all_specs().items():
        if spec.appears == day:
            out.append({"content_id": cid, "change": "new", "list_visible": True})
        elif spec.removed_from == day:
            out.append({"content_id": cid, "change": "removed", "list_visible": True})
        elif day in spec.changes and spec.visible_on(day):
            old, new = before.item(cid), corpus.item(cid)
            assert old is not None and new is not None
            if _record(old) == _record(new) and old.body == new.body:
                continue  # only what an attachment answers changed: the page itself did not
            if old.column.cat_id != new.column.cat_id:
                # listed in another column of the organisation: a move, not a removal and a new item;
                # its page changes with it (组配分类 follows the column), a metadata change of its own
                out.append({"content_id": cid, "change": "moved", "list_visible": True})
                if old.fields != new.fields:
                    out.append({"content_id": cid, "change": "metadata", "list_visible": True})
                continue
            out.append(
                {
                    "content_id": cid,
                    "change": "metadata" if _record(old) != _record(new) else "content",
                    "list_visible": _list_row(old) != _list_row(new),
                }
            )
    for cid in corpus.iter_ids():
        item = corpus.item(cid, body=False) if cid >= BULK_ID_BASE else None
        if item is not None and day in corpus._bulk_edit_days(cid, item.publish_at):
            out.append({"content_id": cid, "change": "content", "list_visible": False})
    out.sort(key=lambda c: c["content_id"])
    return out


def _record(item: Item) -> tuple:
    """What a metadata change is judged on: the values shown and their normalized form, files and links."""
    return (
        item.title,
        item.fields,
        item.truth,
        tuple(a.path for a in item.attachments),
        tuple(item.interpretation_ids),
        tuple(item.original_ids),
    )


def _list_row(item: Item) -> tuple:
    """What a list entry shows (either skin): title, date, 废止 marker, 索引号, links."""
    return (
        item.title,
        item.publish_at,
        item.repealed_marker,
        item.fields.get("index_number"),
        tuple(item.interpretation_ids),
        tuple(item.original_ids),
    )


def build_truth(
    corpus: Corpus, base_url: str, library_orgs: tuple[int, ...] = (), department_host: str | None = None
) -> dict:
    """The whole truth of the corpus day as one JSON-ready object.

    With `library_orgs` (Variants.library_orgs), `library` lists the documents each 行政规范性文件库 shows
    and the tab that shows them; with `department_host`, the department's items are at home on that host
    (their pages are read there, so their own links resolve there too)."""
    ids = list(corpus.iter_ids())
    items = [corpus.item(c, body=False) for c in ids]
    counts = Counter(
        i.fields["index_number"].strip() for i in items if i is not None and i.fields.get("index_number", "").strip()
    )
    duplicates = {k for k, n in counts.items() if n > 1}
    records, defects, not_evaluable = [], [], []
    for item in items:
        assert item is not None
        home = department_host if department_host and item.org.organ_id == DEPARTMENT_ORG else base_url
        records.append(truth_record(corpus, item, home))
        broken, unknown = item_defects(corpus, item, duplicates)
        defects += [{"rule_id": r, "content_id": item.content_id} for r in sorted(broken)]
        not_evaluable += [{"rule_id": r, "content_id": item.content_id} for r in sorted(unknown)]
    defects += list(column_defects(corpus))
    return {
        "site": {
            "base_url": base_url,
            "site_id": 6781,
            "day": corpus.day,
            "as_of": corpus.as_of.isoformat(),
            "items_requested": corpus.n_items,
            "seed": corpus.seed,
        },
        "items": records,
        "defects": defects,
        "not_evaluable": not_evaluable,
        "changes": changes(corpus),
        "library": [
            {"content_id": item.content_id, "org": item.org.name, "tab": library_tab(item.truth.get("validity"))}
            for item in items
            if item is not None and item.org.organ_id in library_orgs and item.column.name in LIBRARY_COLUMNS
        ],
    }


def build_law_truth(corpus: Corpus, base_url: str) -> dict:
    """What a crawl of the replica's legal database (/law/) must store: per document, the fields its
    header carries (title, 发文机关, 发文日期, 时效性, 发文字号, 施行日期), the rest empty."""
    from disclosure_audit.replica.pages import LAW_VALIDITY, law_title
    from disclosure_audit.replica.site import law_documents

    records = []
    for org in corpus.orgs:
        for item in law_documents(corpus, org):
            t = item.truth
            record: dict = {key: None for key in ITEM_RECORD_KEYS}
            record.update(
                content_id=item.content_id,
                url=f"{base_url}/law/doc/{item.content_id}.txt",
                org=org.name,
                column="法规库",
                title=law_title(item),
                issuer=t.get("issuer"),
                written_date=t.get("written_date"),
                validity=t.get("validity") if t.get("validity") in LAW_VALIDITY else None,
                doc_number=t.get("doc_number"),
                effective_date=t.get("effective_date"),
                keywords=[],
                attachments=[],
                interpretation_urls=[],
                original_urls=[],
            )
            records.append(record)
    return {"site": {"base_url": base_url, "day": corpus.day}, "items": records}


# Table 二 （一）项 of the annual report: the register columns of the replica (it has no 规章 column).
REGISTER_ROWS = {"规范性文件": "行政规范性文件", "行政规范性文件": "行政规范性文件", "规章": "规章"}
REPORT_FIGURES = ("本年制发件数", "本年公开件数", "本年废止件数", "现行有效件数")


def build_register_truth(corpus: Corpus, years: tuple[int, ...] | None = None) -> dict:
    """What table 二 （一）项 must say per year, organisation and row, from the replica's own model.

    Per figure the content ids counted and those the shown data cannot decide. The conventions (what a
    report author is told in README and in the report views' comments):
    - issued (本年制发件数): 成文日期 shown in the year; not shown and published in or after the year:
      undetermined;
    - published (本年公开件数, the trial format's 本年新公开数量): 发布日期 shown in the year;
    - a document starts on its 生效日期 when shown as a date, else on its 成文日期;
    - it ends on the 废止日期 shown (a date), else, when it shows 废止/失效 or a later visible document
      repeals it whole, on that document's 生效日期; when neither says when, the end is undetermined
      (from its start year on); a document showing no 有效性 at all is undetermined too;
    - in force (现行有效件数) on 31 December: started by then and not ended by then.
    A single day's corpus has no crawl history, so no end is known from versions here.
    """
    last = corpus.as_of.year
    years = years or tuple(range(2019, last + 1))
    out: dict = {y: {} for y in years}
    for cid in corpus.iter_ids():
        item = corpus.item(cid, body=False)
        if item is None or item.column.name not in REGISTER_ROWS:
            continue
        t = item.truth
        row = REGISTER_ROWS[item.column.name]
        written = _as_date(t.get("written_date"))
        published = _as_date(t.get("publish_date"))
        effective = _as_date(t.get("effective_date"))
        start = effective or written
        validity = t.get("validity")
        end: date | None = _as_date(t.get("repeal_date"))
        end_known = end is not None
        if not end_known:
            repealers = [corpus.item(r, body=False) for r in corpus.repealed_by(cid) if corpus.exists(r)]
            dated = sorted(d for d in (_as_date(r.truth.get("effective_date")) for r in repealers if r) if d)
            if validity in rules.ENDED_STATES or repealers:
                end, end_known = (dated[0], True) if dated else (None, False)
            elif validity is None:
                end_known = False
            else:
                end_known = True  # in force: no end
        for y in years:
            dec31 = date(y, 12, 31)
            figures: dict[str, str | None] = {}
            if written is not None:
                figures["本年制发件数"] = "counted" if written.year == y else None
            elif published is not None and published.year < y:
                figures["本年制发件数"] = None
            else:
                figures["本年制发件数"] = "undetermined"
            figures["本年公开件数"] = (
                ("counted" if published.year == y else None) if published is not None else "undetermined"
            )
            if end is not None:
                figures["本年废止件数"] = "counted" if end.year == y else None
            elif not end_known:
                figures["本年废止件数"] = None if start is not None and start.year > y else "undetermined"
            else:
                figures["本年废止件数"] = None
            if start is None:
                figures["现行有效件数"] = None if published is not None and published > dec31 else "undetermined"
            elif start > dec31:
                figures["现行有效件数"] = None
            elif end is not None:
                figures["现行有效件数"] = "counted" if end > dec31 else None
            else:
                figures["现行有效件数"] = "counted" if end_known else "undetermined"
            for figure, decision in figures.items():
                if decision is None:
                    continue
                cell = (
                    out[y]
                    .setdefault(item.org.name, {})
                    .setdefault(row, {})
                    .setdefault(figure, {"counted": [], "undetermined": []})
                )
                cell[decision].append(cid)
    return out
