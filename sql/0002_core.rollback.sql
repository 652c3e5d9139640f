DROP TABLE IF EXISTS core.links, core.attachments, core.item_versions, core.items, core.captures,
    core.columns, core.orgs, core.crawl_runs, core.sites;
