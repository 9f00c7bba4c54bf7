"""shareable_capacity: UNIQUE (lot_id, share_window, computed_at), the natural key of one parking-job result

Revision ID: 0009_shareable_key
Revises: 0008_wall_settings
Create Date: 2026-12-07 10:00:00
"""

from alembic import op


revision = '0009_shareable_key'
down_revision = '0008_wall_settings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Before the key existed two racing runs could store the same result twice; keep the newest row of each.
    op.execute(
        "DELETE FROM shareable_capacity WHERE id NOT IN ("
        " SELECT MAX(id) FROM shareable_capacity GROUP BY lot_id, share_window, computed_at)"
    )
    with op.batch_alter_table('shareable_capacity') as batch:
        batch.create_unique_constraint(
            'uq_shareable_capacity_lot_id_share_window_computed_at', ['lot_id', 'share_window', 'computed_at']
        )


def downgrade() -> None:
    with op.batch_alter_table('shareable_capacity') as batch:
        batch.drop_constraint('uq_shareable_capacity_lot_id_share_window_computed_at', type_='unique')
