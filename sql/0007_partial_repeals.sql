-- Partial repeals found in bodies: a later document that repeals only part of an earlier one.
-- depends: 0004_qa_link_checks
--
-- Written by disclosure_audit.checks.validity (refresh_repeals, with qa.repeals); read by the report.
-- 《X》第五条废止, 《X》第三条、第七条停止执行, 《X》中关于…的规定不再执行 end a part of X, not X: the
-- rest stays in force and X may rightly remain 有效. They are kept apart from qa.repeals, which holds
-- whole repeals only, so that the facts that read qa.repeals (not_repealed_while_valid) never count them.

-- -------------------------------------------------------------------- partial repeals
CREATE TABLE qa.partial_repeals (
    site_id     int NOT NULL REFERENCES core.sites,
    repealing_content_id bigint NOT NULL,
    repealed_content_id bigint NOT NULL,
    matched_by  text NOT NULL CHECK (matched_by IN ('doc_number', 'title')),
    clause      text NOT NULL,
    part        text NOT NULL CHECK (btrim(part) <> ''),
    found_run   bigint REFERENCES core.crawl_runs,
    PRIMARY KEY (site_id, repealing_content_id, repealed_content_id),
    CHECK (repealing_content_id <> repealed_content_id)
);
CREATE INDEX partial_repeals_repealed ON qa.partial_repeals (site_id, repealed_content_id);
COMMENT ON TABLE qa.partial_repeals IS
    '后发文件正文中废止在先文件部分条款的条款（该文件其余部分仍有效）/ a later document''s clause that repeals '
    'part of an earlier item (《X》第五条废止, 中关于…的规定不再执行), matched by 文号 or by 《title》; '
    'the earlier item stays in force otherwise, so it is not a repeal of qa.repeals';
COMMENT ON COLUMN qa.partial_repeals.part IS
    '被废止的部分，照原文（第五条、第三条、第七条、中关于…的规定），多处以“；”分隔 / '
    'the part repealed as written (第五条, 第三条、第七条, 中关于…的规定); several parts joined by ；';
COMMENT ON COLUMN qa.partial_repeals.clause IS
    '废止条款原文（多条时逐行）/ the clause as written (one per line when several)';
COMMENT ON COLUMN qa.partial_repeals.found_run IS 'the crawl run after which the partial repeal was first found';
