"""merge: startups joins the main line

Revision ID: 0004_startups
Revises: 0003_audit, 0003_startups
Create Date: 2026-11-25 12:55:00

"""

revision = "0004_startups"
down_revision = ("0003_audit", "0003_startups")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
