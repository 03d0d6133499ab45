"""full-text search over transcript segments.

SQLite: an FTS5 index ``segments_fts`` with external content (the text lives once, in ``segments``),
kept in step by triggers, so every writer of segments (save_transcript, chunked writes, word edits
through ``clipper.search.reindex_segment``, cascaded deletes) updates the index without knowing it.

PostgreSQL: a stored generated ``tsvector`` column ``segments.search_vector`` with a GIN index. Stored
rather than an expression index so ranking and phrase rechecks read the vector instead of re-parsing
the text for every candidate row. Punctuation is turned into spaces first so both databases split
words the same way (``well-known`` is two words, ``3.5`` is ``3`` and ``5``), which keeps phrase
queries agreeing between them. The ``simple`` configuration: no stemming, no stop words, because
volunteers search for exact quotes ("ask not what") and ``not`` and ``what`` are stop words in English.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in sync with clipper.search (tokenizer and the Postgres expression).
SQLITE_TOKENIZER = "unicode61 remove_diacritics 2"
PG_VECTOR = (
    "to_tsvector('simple'::regconfig, "
    "regexp_replace(coalesce(text, ''), '[[:punct:][:space:]‘’“”–—…]+', ' ', 'g'))"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE segments_fts USING fts5("
            f"text, content='segments', content_rowid='id', tokenize='{SQLITE_TOKENIZER}', prefix='2 3 4')"
        )
        op.execute(
            "CREATE TRIGGER segments_fts_insert AFTER INSERT ON segments BEGIN "
            "INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text); END"
        )
        op.execute(
            "CREATE TRIGGER segments_fts_delete AFTER DELETE ON segments BEGIN "
            "INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text); END"
        )
        op.execute(
            "CREATE TRIGGER segments_fts_update AFTER UPDATE OF text ON segments BEGIN "
            "INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text); "
            "INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text); END"
        )
        op.execute("INSERT INTO segments_fts(segments_fts) VALUES ('rebuild')")
    elif bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE segments ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({PG_VECTOR}) STORED")
        op.execute("CREATE INDEX ix_segments_search_vector ON segments USING gin (search_vector)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS segments_fts_{name}")
        op.execute("DROP TABLE IF EXISTS segments_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_segments_search_vector")
        op.execute("ALTER TABLE segments DROP COLUMN IF EXISTS search_vector")
