"""posting: channel settings and limits, the post state machine's columns.

Revision ID: 0012
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("config", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("account_name", sa.String(300), nullable=False, server_default=""))
        batch.add_column(sa.Column("account_url", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("limits", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("checked_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("check_error", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("preset", sa.String(20), nullable=False, server_default="vertical"))
        batch.add_column(sa.Column("alt_text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("idempotency_key", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("first_sent_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("sent_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_posts_created_by_id_users", "users", ["created_by_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index("ix_posts_due_at", ["due_at"])
        batch.create_index("ix_posts_idempotency_key", ["idempotency_key"])


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_index("ix_posts_idempotency_key")
        batch.drop_index("ix_posts_due_at")
        batch.drop_constraint("fk_posts_created_by_id_users", type_="foreignkey")
        for name in ("created_by_id", "sent_at", "lease_until", "first_sent_at", "idempotency_key", "due_at",
                     "alt_text", "preset"):
            batch.drop_column(name)
    with op.batch_alter_table("channels") as batch:
        for name in ("check_error", "checked_at", "limits", "account_url", "account_name", "active", "config"):
            batch.drop_column(name)
