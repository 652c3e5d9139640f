DROP TABLE IF EXISTS qa.partial_repeals;
