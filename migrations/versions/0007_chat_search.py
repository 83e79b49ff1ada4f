"""chat: a substring index for searching one's messages (CJK included)

SQLite: an FTS5 table with the trigram tokenizer, kept by triggers on `chat_messages` (a row per
text message; its rowid is `chat_id * 2^32 + seq`, so recall and delete find it by key — the
messages table has a composite key, whose implicit rowids VACUUM may renumber, so the index
keeps its own copy of the text rather than pointing at them). PostgreSQL: pg_trgm's GIN index on
`search_text`, which serves `LIKE '%…%'`. Both serve queries of three characters or more; shorter
ones (a two-character Chinese word) scan the searcher's own chats, newest first (see
`ChatService.search`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 13:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE chat_messages_fts USING fts5("
            "search_text, chat_id UNINDEXED, seq UNINDEXED, tokenize='trigram')"
        )
        op.execute("""
            CREATE TRIGGER chat_messages_fts_insert AFTER INSERT ON chat_messages
            WHEN NEW.search_text <> '' BEGIN
                INSERT INTO chat_messages_fts(rowid, search_text, chat_id, seq)
                VALUES (NEW.chat_id * 4294967296 + NEW.seq, NEW.search_text, NEW.chat_id, NEW.seq);
            END
        """)
        op.execute("""
            CREATE TRIGGER chat_messages_fts_update AFTER UPDATE OF search_text ON chat_messages
            BEGIN
                DELETE FROM chat_messages_fts WHERE rowid = OLD.chat_id * 4294967296 + OLD.seq;
                INSERT INTO chat_messages_fts(rowid, search_text, chat_id, seq)
                SELECT NEW.chat_id * 4294967296 + NEW.seq, NEW.search_text, NEW.chat_id, NEW.seq
                WHERE NEW.search_text <> '';
            END
        """)
        op.execute("""
            CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages BEGIN
                DELETE FROM chat_messages_fts WHERE rowid = OLD.chat_id * 4294967296 + OLD.seq;
            END
        """)
        op.execute("""
            INSERT INTO chat_messages_fts(rowid, search_text, chat_id, seq)
            SELECT chat_id * 4294967296 + seq, search_text, chat_id, seq FROM chat_messages
            WHERE search_text <> ''
        """)
    else:
        # The extension needs a privileged role once per database; without it search still
        # works (a scan of the searcher's chats), only slower, so a refusal is not fatal.
        conn = op.get_bind()
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:
            return
        op.execute(
            "CREATE INDEX ix_chat_messages_search_trgm ON chat_messages "
            "USING gin (search_text gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS chat_messages_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS chat_messages_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_chat_messages_search_trgm")
