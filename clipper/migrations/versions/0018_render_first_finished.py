"""renders: when each render was first finished (a re-render moves ``finished_at``, never this), for the
air-to-clip timer's "rendered" moment.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("renders") as batch:
        batch.add_column(sa.Column("first_finished_at", sa.DateTime(), nullable=True))
    # Renders finished before this column existed: their last finish is the best we know.
    op.execute("UPDATE renders SET first_finished_at = finished_at WHERE finished_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("renders") as batch:
        batch.drop_column("first_finished_at")
