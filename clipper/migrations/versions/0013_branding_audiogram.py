"""branding: the background of audiograms (audio-only clips) and a box behind captions; a person's photo.

Revision ID: 0013
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("branding") as batch:
        batch.add_column(sa.Column("background_colour", sa.String(7), nullable=False, server_default="#12284C"))
        batch.add_column(sa.Column("caption_box", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("photo_key", sa.String(500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("photo_key")
    with op.batch_alter_table("branding") as batch:
        batch.drop_column("caption_box")
        batch.drop_column("background_colour")
