"""join the branches the data module, the services module and the scheduler lock added side by side

Revision ID: 0007
Revises: 0004_data_module, 0005_services, 0006_scheduler_node
Create Date: 2026-11-30 09:30:00
"""

revision = '0007'
down_revision = ('0004_data_module', '0005_services', '0006_scheduler_node')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # a merge point: the three branches touch different tables


def downgrade() -> None:
    pass
