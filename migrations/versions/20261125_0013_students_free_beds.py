"""students free beds: indexes for the coordinators' overview, free beds and unplaced students

Revision ID: 0013_students_free_beds
Revises: 0012_partnership_drilldown
Create Date: 2026-11-25 20:30:00

At 1,000,000 cases (200,000 placements, 53,333 host families) the overview and the free-bed
page read every placement and every family to count tonight's free beds (8–45 s). They now count
in SQL, and need:
- ix_placements_last_night: the placements sharing a night with a date, by their last night.
  Only the placements still running then (about 20,000 for tonight) are read, from the index.
- ix_host_families_free: the registered families by capacity and registration date, counted
  from the index alone. The capacity leads: led by the status, it looked to SQLite (on a
  database without statistics) like the way to find a person's registered family, and the
  furigana walk of the free-bed list read a third of the families for each person (98 s).
- ix_host_family_unavailable_period: the unavailable periods ending on or after a date.
"""
from alembic import op

revision = "0013_students_free_beds"
down_revision = "0012_partnership_drilldown"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_placements_last_night", "placements",
                    ["ended_on", "started_on", "status", "host_family_id"], unique=False)
    op.create_index("ix_host_families_free", "host_families", ["capacity", "status", "registered_on"], unique=False)
    op.create_index("ix_host_family_unavailable_period", "host_family_unavailable",
                    ["ends_on", "starts_on", "host_family_id"], unique=False)


def downgrade():
    op.drop_index("ix_host_family_unavailable_period", table_name="host_family_unavailable")
    op.drop_index("ix_host_families_free", table_name="host_families")
    op.drop_index("ix_placements_last_night", table_name="placements")
