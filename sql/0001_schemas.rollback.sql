-- Undoes 0001_schemas.sql (yoyo rollback); refuses while any schema still holds objects.
DROP SCHEMA IF EXISTS report;
DROP SCHEMA IF EXISTS ref;
DROP SCHEMA IF EXISTS qa;
DROP SCHEMA IF EXISTS core;
