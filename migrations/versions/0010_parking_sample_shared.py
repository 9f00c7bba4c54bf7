"""parking_sample.shared: of the occupied spaces, the cars of shared-parking permit holders (when known)

Revision ID: 0010_sample_shared
Revises: 0009_shareable_key
Create Date: 2026-12-07 10:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010_sample_shared'
down_revision = '0009_shareable_key'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('parking_sample') as batch:
        batch.add_column(sa.Column('shared', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('parking_sample') as batch:
        batch.drop_column('shared')
