"""Where the data lives: finding or starting PostgreSQL, creating the database, applying migrations."""
