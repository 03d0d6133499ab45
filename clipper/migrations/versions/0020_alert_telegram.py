"""alerts: a Telegram chat to tell (through a connected Telegram channel's bot), besides a webhook or
the desk's own list; and a speaker to watch for (with words, or alone: each time that voice starts).

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("telegram_channel_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("telegram_chat", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("speaker", sa.String(200), nullable=False, server_default=""))
        batch.create_foreign_key("fk_alerts_telegram_channel", "channels", ["telegram_channel_id"], ["id"],
                                 ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("fk_alerts_telegram_channel", type_="foreignkey")
        batch.drop_column("speaker")
        batch.drop_column("telegram_chat")
        batch.drop_column("telegram_channel_id")
