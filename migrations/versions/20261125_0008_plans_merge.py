"""merge: plans joins the main line

Revision ID: 0008_plans
Revises: 0007_migrants, 0003_plans
Create Date: 2026-11-25 13:30:00

"""

revision = "0008_plans"
down_revision = ("0007_migrants", "0003_plans")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
