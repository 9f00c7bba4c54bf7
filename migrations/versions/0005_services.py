"""services: the trail of service requests, their cancellation time and one-time submission id

Revision ID: 0005_services
Revises: 0002
Create Date: 2026-11-29 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005_services'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('submission_ref', sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_service_request_submission_ref'), ['submission_ref'])

    op.create_table('service_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('talent_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_service_action_actor_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_service_action_request_id_service_request')),
    sa.ForeignKeyConstraint(['talent_id'], ['talent.id'], name=op.f('fk_service_action_talent_id_talent')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_action'))
    )
    with op.batch_alter_table('service_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_action_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_action_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_action_talent_id'), ['talent_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_action_talent_id'))
        batch_op.drop_index(batch_op.f('ix_service_action_request_id'))
        batch_op.drop_index(batch_op.f('ix_service_action_actor_id'))

    op.drop_table('service_action')
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_service_request_submission_ref'), type_='unique')
        batch_op.drop_column('submission_ref')
        batch_op.drop_column('cancelled_at')
