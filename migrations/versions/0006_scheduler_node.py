"""scheduler nodes: leader and standbys of `python -m jobs`, with their heartbeat

Revision ID: 0006_scheduler_node
Revises: 0002
Create Date: 2026-11-30 08:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006_scheduler_node'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scheduler_node',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('beat_at', sa.DateTime(), nullable=False),
    sa.Column('leader_since', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_node')),
    sa.UniqueConstraint('node', name=op.f('uq_scheduler_node_node'))
    )


def downgrade() -> None:
    op.drop_table('scheduler_node')
