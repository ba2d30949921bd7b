"""rollup indexes: one covering index per rollup source (issue 9, bench/README.md)

Revision ID: 0009_indexes
Revises: 0008_plans
Create Date: 2026-11-25 14:00:00

Each index holds every column the source's aggregate reads (date, status, subject or weight),
so the monthly GROUP BY of rollup() is answered from the index alone on SQLite and (after
VACUUM) as an index-only scan on PostgreSQL.
"""
from alembic import op

revision = "0009_indexes"
down_revision = "0008_plans"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_startup_cases_rollup", "startup_cases", ["first_consulted_on", "status", "person_id"]),
    ("ix_migration_cases_rollup", "migration_cases", ["moved_in_on", "status", "household_size"]),
    ("ix_placements_rollup", "placements", ["student_id", "started_on", "status"]),
    ("ix_partnerships_rollup", "partnerships", ["organization_id", "status", "agreed_on"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
