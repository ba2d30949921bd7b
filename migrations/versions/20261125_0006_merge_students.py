"""merge: students joins the main line

Revision ID: 0006_students
Revises: 0005_partnerships, 0003_students
Create Date: 2026-11-25 13:30:00

"""

revision = "0006_students"
down_revision = ("0005_partnerships", "0003_students")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
