"""Parsing and normalization of the platform's pages and texts: pure functions, no network, no database."""
