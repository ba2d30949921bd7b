"""export subjects: whose data was in each export, append-only like the audit log; merges the heads

Revision ID: 0011_export_subjects
Revises: 0010_retention, 0010_drilldown, 0010_search_keys
Create Date: 2026-11-25 16:00:00

An export of the records behind a number (the drill-down's Excel/CSV) writes one `export` entry
in audit_log and here one row per person whose data the file held, so the audit search by person
finds the exports that held them. The database refuses UPDATE and DELETE on these rows, as on
audit_log (0003_audit); a person id is no personal value, so retention has nothing to mask here.
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_export_subjects"
down_revision = ("0010_retention", "0010_drilldown", "0010_search_keys")
branch_labels = None
depends_on = None

MESSAGE = "audit_export_subjects is append-only"


def upgrade():
    op.create_table(
        "audit_export_subjects",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit_log.id"],
                                name=op.f("fk_audit_export_subjects_audit_id_audit_log")),
        sa.PrimaryKeyConstraint("audit_id", "person_id", name=op.f("pk_audit_export_subjects")),
    )
    op.create_index(op.f("ix_audit_export_subjects_person_id"), "audit_export_subjects", ["person_id"])
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_export_subjects_is_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}';
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER audit_export_subjects_append_only
            BEFORE UPDATE OR DELETE ON audit_export_subjects
            FOR EACH ROW EXECUTE FUNCTION audit_export_subjects_is_append_only()
        """)
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_export_subjects_no_{event.lower()}
                BEFORE {event} ON audit_export_subjects
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
            """)


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_export_subjects_append_only ON audit_export_subjects")
        op.execute("DROP FUNCTION audit_export_subjects_is_append_only()")
    else:
        op.execute("DROP TRIGGER audit_export_subjects_no_update")
        op.execute("DROP TRIGGER audit_export_subjects_no_delete")
    op.drop_index(op.f("ix_audit_export_subjects_person_id"), table_name="audit_export_subjects")
    op.drop_table("audit_export_subjects")
