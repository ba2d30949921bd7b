"""startups tables: startup cases and their consultation log

Revision ID: 0003_startups
Revises: 0002
Create Date: 2026-11-25 12:12:15.268414

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_startups'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('startup_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('business_idea', sa.Text(), nullable=False),
    sa.Column('industry', sa.String(length=100), nullable=False),
    sa.Column('supporting_body', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('first_consulted_on', sa.Date(), nullable=True),
    sa.Column('founded_on', sa.Date(), nullable=True),
    sa.Column('certificate_number', sa.String(length=40), nullable=False),
    sa.Column('certificate_issued_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('consulting', 'supporting', 'supported', 'founded', 'suspended', 'cancelled')", name=op.f('ck_startup_cases_status_known')),
    sa.CheckConstraint("supporting_body IN ('city', 'shinkin', 'cci')", name=op.f('ck_startup_cases_body_known')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_startup_cases_person_id_people')),
    sa.ForeignKeyConstraint(['staff_id'], ['users.id'], name=op.f('fk_startup_cases_staff_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_startup_cases')),
    sa.UniqueConstraint('ref', name=op.f('uq_startup_cases_ref'))
    )
    with op.batch_alter_table('startup_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_startup_cases_first_consulted_on'), ['first_consulted_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_startup_cases_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_startup_cases_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_startup_cases_status'), ['status'], unique=False)

    op.create_table('startup_consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('topics', sa.String(length=100), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('counter', 'phone', 'email', 'online')", name=op.f('ck_startup_consultations_channel_known')),
    sa.ForeignKeyConstraint(['case_id'], ['startup_cases.id'], name=op.f('fk_startup_consultations_case_id_startup_cases')),
    sa.ForeignKeyConstraint(['staff_id'], ['users.id'], name=op.f('fk_startup_consultations_staff_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_startup_consultations'))
    )
    with op.batch_alter_table('startup_consultations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_startup_consultations_case_id'), ['case_id'], unique=False)

    # ### end Alembic commands ###


def downgrade():
    with op.batch_alter_table('startup_consultations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_startup_consultations_case_id'))

    op.drop_table('startup_consultations')
    with op.batch_alter_table('startup_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_startup_cases_status'))
        batch_op.drop_index(batch_op.f('ix_startup_cases_staff_id'))
        batch_op.drop_index(batch_op.f('ix_startup_cases_person_id'))
        batch_op.drop_index(batch_op.f('ix_startup_cases_first_consulted_on'))

    op.drop_table('startup_cases')
