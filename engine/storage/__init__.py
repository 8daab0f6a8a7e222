"""Storage: tables derived from the spec, the record data on SQLite or PostgreSQL, and the
SQL form of expressions (`engine.storage.sql_expr`)."""
