"""note templates: clinic-defined phrases per SOAP section of the session record

Revision ID: 0024
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'note_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('section', sa.String(length=20), nullable=False),
        sa.Column('label', sa.String(length=80), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_note_template')),
    )
    with op.batch_alter_table('note_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_template_section'), ['section'], unique=False)


def downgrade():
    with op.batch_alter_table('note_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_template_section'))
    op.drop_table('note_template')
