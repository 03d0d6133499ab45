"""live sources: a weekly schedule of windows in which the source records by itself, and the window the
scheduler last started it for (so a recording someone stops by hand stays stopped until the next one).

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("live_sources") as batch:
        batch.add_column(sa.Column("schedule", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("schedule_window", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("live_sources") as batch:
        batch.drop_column("schedule_window")
        batch.drop_column("schedule")
