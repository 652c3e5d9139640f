"""The item record's field names: one list shared by the parser, the store, the replica's truth and the CLI.

Data only, like `rules`: any layer may import it without importing another layer.
"""

from __future__ import annotations

# What a detail page yields once normalized (core.items has a column for each).
DETAIL_FIELDS: tuple[str, ...] = (
    "title", "name", "index_number", "doc_number", "written_date", "publish_date", "validity",
    "effective_date", "repeal_date", "issuer", "topic", "category", "keywords", "summary", "attachments",
    "interpretation_urls", "original_urls",
)  # fmt: skip

# What `disclosure-audit items` prints for an item, in this order (plus `raw`, the values as shown);
# the replica's truth uses the same keys.
ITEM_RECORD_KEYS: tuple[str, ...] = (
    "content_id", "url", "org", "column", "title", "index_number", "doc_number", "written_date",
    "publish_date", "validity", "effective_date", "repeal_date", "issuer", "topic", "keywords", "summary",
    "attachments", "interpretation_urls", "original_urls", "name", "category",
)  # fmt: skip
assert set(DETAIL_FIELDS) <= set(ITEM_RECORD_KEYS)
