"""The SQLite implementation of the store ports: the catalog (truth), FTS5 words, categories.

No SQL text, SQLite exception or FTS5 syntax leaves this package.
"""
