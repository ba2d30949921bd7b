"""search keys: person search by the start of a name, and the indexes the big lists page through

Revision ID: 0010_search_keys
Revises: 0009_indexes
Create Date: 2026-11-25 15:30:00

The person search matches the START of the family name or the given name, in kanji or furigana,
or the start or end of the phone number (bench/README.md, "Pages"). Each way of matching is a
range of one folded key, read from a partial index of the people not merged away that also holds
the furigana and id, so the first page of "ﾀﾅｶ" among 870,000 people comes from the index alone.
New keys: the given name and its furigana folded, and the phone digits reversed (backfilled
here). On PostgreSQL every key column compares in the "C" collation, so a prefix is a range
whatever the server's locale.

The default orders of the case lists get indexes too: startup cases and partnerships newest
first (NULLS LAST, which PostgreSQL can only read from an index declared so; SQLite's DESC puts
NULLs last anyway and cannot say so in an index), migration cases by their cohort date
(COALESCE(inquired_on, moved_in_on), an expression index on both databases).
"""
import sqlalchemy as sa
from alembic import op

from casework import jp

revision = "0010_search_keys"
down_revision = "0009_indexes"
branch_labels = None
depends_on = None

LIVE = "merged_into_id IS NULL"
NEW_KEYS = (("given_name_key", 100), ("given_kana_key", 100), ("phone_tail_key", 40))
OLD_KEYS = (("name_key", 200), ("kana_key", 200), ("phone_key", 40))
# merged_into_id (always NULL in these) makes them covering on SQLite (casework.people.models).
LIVE_INDEXES = (
    ("ix_people_live_kana_key", ["kana_key", "id", "merged_into_id"]),
    ("ix_people_live_name_key", ["name_key", "kana_key", "id", "merged_into_id"]),
    ("ix_people_live_given_name_key", ["given_name_key", "kana_key", "id", "merged_into_id"]),
    ("ix_people_live_given_kana_key", ["given_kana_key", "kana_key", "id", "merged_into_id"]),
    ("ix_people_live_phone_key", ["phone_key", "kana_key", "id", "merged_into_id"]),
    ("ix_people_live_phone_tail_key", ["phone_tail_key", "kana_key", "id", "merged_into_id"]),
    ("ix_people_live_created_at", ["created_at", "id", "merged_into_id"]),
    ("ix_people_live_updated_at", ["updated_at", "id", "merged_into_id"]),
)
# (name, table, date column, more columns) of the "newest first" orders: date DESC NULLS LAST,
# id DESC. The startup one also holds what the rollup reads (the planner may pick it for that).
NEWEST_FIRST = (
    ("ix_startup_cases_newest", "startup_cases", "first_consulted_on", ["status", "person_id"]),
    ("ix_partnerships_newest", "partnerships", "agreed_on", []),
)
BATCH = 10_000


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _key_type(length: int, collation: str | None = None) -> sa.String:
    return sa.String(length, collation=collation)


def _backfill_new_keys() -> None:
    """Fill the new keys of everyone already registered (anonymized people keep empty keys)."""
    conn = op.get_bind()
    people = sa.table("people", sa.column("id"), sa.column("given_name"), sa.column("given_name_kana"),
                      sa.column("phone_key"), sa.column("anonymized_at"), sa.column("given_name_key"),
                      sa.column("given_kana_key"), sa.column("phone_tail_key"))
    update = (sa.update(people).where(people.c.id == sa.bindparam("person_id"))
              .values(given_name_key=sa.bindparam("g_name"), given_kana_key=sa.bindparam("g_kana"),
                      phone_tail_key=sa.bindparam("tail")))
    last_id = 0
    while True:
        rows = conn.execute(
            sa.select(people.c.id, people.c.given_name, people.c.given_name_kana, people.c.phone_key)
            .where(people.c.id > last_id, people.c.anonymized_at.is_(None))
            .order_by(people.c.id).limit(BATCH)).all()
        if not rows:
            return
        conn.execute(update, [{"person_id": r.id, "g_name": jp.fold(r.given_name), "g_kana": jp.fold(r.given_name_kana),
                               "tail": (r.phone_key or "")[::-1]} for r in rows])
        last_id = rows[-1].id


def upgrade():
    postgresql = _postgresql()
    collation = "C" if postgresql else None
    for name, length in NEW_KEYS:
        op.add_column("people", sa.Column(name, _key_type(length, collation), nullable=False, server_default=""))
    if postgresql:
        for name, length in OLD_KEYS:
            op.alter_column("people", name, type_=_key_type(length, "C"), existing_type=sa.String(length),
                            existing_nullable=False)
    _backfill_new_keys()
    op.drop_index("ix_people_name_key", table_name="people")
    op.drop_index("ix_people_phone_key", table_name="people")
    for name, columns in LIVE_INDEXES:
        op.create_index(name, "people", columns, sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    for name, table, column, more in NEWEST_FIRST:
        # SQLite cannot write NULLS LAST in an index; its DESC order has NULLs last already.
        newest = sa.desc(sa.column(column)).nulls_last() if postgresql else sa.desc(sa.column(column))
        op.create_index(name, table, [newest, sa.desc(sa.column("id")), *(sa.column(c) for c in more)])
    op.create_index("ix_migration_cases_cohort", "migration_cases",
                    [sa.func.coalesce(sa.column("inquired_on"), sa.column("moved_in_on")), sa.column("id")])


def downgrade():
    op.drop_index("ix_migration_cases_cohort", table_name="migration_cases")
    for name, table, _column, _more in reversed(NEWEST_FIRST):
        op.drop_index(name, table_name=table)
    for name, _columns in reversed(LIVE_INDEXES):
        op.drop_index(name, table_name="people")
    op.create_index("ix_people_phone_key", "people", ["phone_key"])
    op.create_index("ix_people_name_key", "people", ["name_key"])
    if _postgresql():
        for name, length in OLD_KEYS:
            op.alter_column("people", name, type_=sa.String(length), existing_type=_key_type(length, "C"),
                            existing_nullable=False)
    for name, _length in reversed(NEW_KEYS):
        op.drop_column("people", name)
