"""partnership drill-down index: partnerships in the order the drill-down of 1-01-06-1 lists them

Revision ID: 0012_partnership_drilldown
Revises: 0011_export_subjects
Create Date: 2026-11-25 17:30:00

The rollup source of 1-01-06-1 dates a partnership by its agreement date, and gives none while
it is still in talks (協議中): CASE WHEN status = 'negotiating' THEN NULL ELSE agreed_on END. No
index held that order, so each drill-down page sorted every partnership of the region (about
67,000 at 1,000,000 cases: 20–60 ms a page). This index holds the expression, written exactly as
the source writes it, the id the page is ordered by next, and the status and organization the
source filters on.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_partnership_drilldown"
down_revision = "0011_export_subjects"
branch_labels = None
depends_on = None

COUNTED_ON = "(CASE WHEN status = 'negotiating' THEN NULL ELSE agreed_on END)"


def upgrade():
    op.create_index("ix_partnerships_drilldown", "partnerships",
                    [sa.text(COUNTED_ON), sa.column("id"), sa.column("status"), sa.column("organization_id")])


def downgrade():
    op.drop_index("ix_partnerships_drilldown", table_name="partnerships")
