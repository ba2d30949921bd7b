"""drill-down index: placements in the order a drill-down lists them (issue 9, bench/README.md)

Revision ID: 0010_drilldown
Revises: 0009_indexes
Create Date: 2026-11-25 15:10:00

The drill-down of indicator 1-01-05-2 lists, 50 a page, the placement that places each student
(no earlier placement of the same student) in the order of the start date. ix_placements_rollup
leads with the student (what the rollup groups by and what the "no earlier placement" check
seeks), so nothing gave that order: every page read and sorted all placements. This index walks
them by start date and holds the status and the student the check needs.
"""
from alembic import op

revision = "0010_drilldown"
down_revision = "0009_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_placements_drilldown", "placements", ["started_on", "status", "student_id"], unique=False)


def downgrade():
    op.drop_index("ix_placements_drilldown", table_name="placements")
