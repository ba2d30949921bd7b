"""merge: partnerships joins the main line

Revision ID: 0005_partnerships
Revises: 0004_startups, 0003_partnerships
Create Date: 2026-11-25 13:20:00

"""

revision = "0005_partnerships"
down_revision = ("0004_startups", "0003_partnerships")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
