"""merge: migrants joins the main line

Revision ID: 0007_migrants
Revises: 0006_students, 0003_migrants
Create Date: 2026-11-25 13:30:00

"""

revision = "0007_migrants"
down_revision = ("0006_students", "0003_migrants")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
