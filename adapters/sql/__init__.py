"""SQL adapters: SQLAlchemy Core on PostgreSQL (psycopg 3) or SQLite (aiosqlite)."""
