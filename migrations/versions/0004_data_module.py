"""data module: latest reading per device and metric, who cleared an alarm and what the rule saw,
and the welfare visit task's own facts (last door activity, escalation, who closed it)

Revision ID: 0004_data_module
Revises: 0002
Create Date: 2026-11-27 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0004_data_module"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("ts", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("fault_code", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_device_status_device_id_device")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_status")),
        sa.UniqueConstraint("device_id", "metric", name=op.f("uq_device_status_device_id_metric")),
    )
    # Batch mode: SQLite cannot add a foreign key to an existing table, so alembic rebuilds it there
    # (and keeps its indexes, the partial "one active alarm" index included); PostgreSQL alters in place.
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cleared_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("clear_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("detail", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_alarm_cleared_by_user_account"), "user_account", ["cleared_by"], ["id"]
        )
    with op.batch_alter_table("welfare_alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_activity_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_welfare_alert_resolved_by_user_account"), "user_account", ["resolved_by"], ["id"]
        )
        batch_op.create_index(
            "uq_welfare_alert_open_watch",
            ["watch_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("welfare_alert", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_welfare_alert_open_watch",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_constraint(batch_op.f("fk_welfare_alert_resolved_by_user_account"), type_="foreignkey")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("last_activity_at")
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_alarm_cleared_by_user_account"), type_="foreignkey")
        batch_op.drop_column("detail")
        batch_op.drop_column("clear_note")
        batch_op.drop_column("cleared_by")
    op.drop_table("device_status")
