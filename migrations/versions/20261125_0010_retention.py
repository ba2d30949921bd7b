"""retention: audit entries about an anonymized person can have their personal values masked, once

Revision ID: 0010_retention
Revises: 0009_indexes
Create Date: 2026-11-25 15:00:00

The audit log stays append-only with ONE exception, enforced by the database itself: an entry
whose `redacted_at` is empty may be updated once, setting `redacted_at` and replacing values in
`before` / `after` with "***" (same keys, every other value unchanged). Who did what, to which
record and person, when and from where cannot change; nothing can be deleted. The retention job
(casework/admin/retention.py) uses this to take an anonymized person's names out of the log.
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_retention"
down_revision = "0009_indexes"
branch_labels = None
depends_on = None

MESSAGE = "audit_log is append-only"
MASK = "***"

# SQLite: the columns a redaction must leave as they are. A migration adding a column to
# audit_log adds it here too (tests/test_retention.py tries to change every column).
KEPT_COLUMNS = ("id", "at", "user_id", "username", "action", "entity", "entity_id", "person_id",
                "detail", "ip")


def _sqlite_only_masked(column: str) -> str:
    """True when NEW.<column> is OLD.<column> with some values replaced by the mask."""
    return f"""(CASE
        WHEN json_type(OLD.{column}) IS NOT 'object' OR json_type(NEW.{column}) IS NOT 'object'
            THEN NEW.{column} IS OLD.{column}
        ELSE (SELECT count(*) FROM json_each(OLD.{column})) = (SELECT count(*) FROM json_each(NEW.{column}))
            AND NOT EXISTS (
                SELECT 1 FROM json_each(NEW.{column}) AS n
                WHERE NOT EXISTS (
                    SELECT 1 FROM json_each(OLD.{column}) AS o
                    WHERE o.key = n.key
                      AND ((o.type = n.type AND o.value IS n.value)
                           OR (n.type = 'text' AND n.value = '{MASK}'))))
        END)"""


def _sqlite_redaction() -> str:
    kept = " AND ".join(f"NEW.{name} IS OLD.{name}" for name in KEPT_COLUMNS)
    return (f"OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND {kept}"
            f" AND {_sqlite_only_masked('before')} AND {_sqlite_only_masked('after')}")


POSTGRES_ONLY_MASKED = f"""
    CREATE FUNCTION audit_log_only_masked(old_values json, new_values json) RETURNS boolean AS $$
    BEGIN
        IF old_values IS NULL OR new_values IS NULL
                OR json_typeof(old_values) <> 'object' OR json_typeof(new_values) <> 'object' THEN
            RETURN old_values::text IS NOT DISTINCT FROM new_values::text;
        END IF;
        RETURN (SELECT count(*) FROM json_object_keys(old_values))
                = (SELECT count(*) FROM json_object_keys(new_values))
            AND NOT EXISTS (
                SELECT 1 FROM json_each(new_values) AS n
                WHERE NOT EXISTS (
                    SELECT 1 FROM json_each(old_values) AS o
                    WHERE o.key = n.key
                      AND (o.value::jsonb = n.value::jsonb OR n.value::jsonb = '"{MASK}"'::jsonb)));
    END;
    $$ LANGUAGE plpgsql IMMUTABLE
"""

# Every column but before/after/redacted_at is compared as a whole row, so a column added
# later is protected without touching this function.
POSTGRES_APPEND_ONLY_WITH_REDACTION = f"""
    CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
                AND OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
                AND (to_jsonb(NEW) - 'before' - 'after' - 'redacted_at')
                    = (to_jsonb(OLD) - 'before' - 'after' - 'redacted_at')
                AND audit_log_only_masked(OLD.before, NEW.before)
                AND audit_log_only_masked(OLD.after, NEW.after) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{MESSAGE}';
    END;
    $$ LANGUAGE plpgsql
"""

POSTGRES_APPEND_ONLY = f"""
    CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}';
    END;
    $$ LANGUAGE plpgsql
"""


def _sqlite_no_update(when: str | None) -> str:
    condition = f"WHEN NOT ({when})" if when else ""
    return f"""
        CREATE TRIGGER audit_log_no_update
        BEFORE UPDATE ON audit_log {condition}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """


def upgrade():
    op.add_column("audit_log", sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_context().dialect.name == "postgresql":
        op.execute(POSTGRES_ONLY_MASKED)
        op.execute(POSTGRES_APPEND_ONLY_WITH_REDACTION)
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute(_sqlite_no_update(_sqlite_redaction()))


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        op.execute(POSTGRES_APPEND_ONLY)
        op.execute("DROP FUNCTION audit_log_only_masked(json, json)")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute(_sqlite_no_update(None))
    op.drop_column("audit_log", "redacted_at")
