"""render tables and columns: branding and caption style, a speaker's role for the name strap.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "branding",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("logo_key", sa.String(500), nullable=False, server_default=""),
        sa.Column("logo_position", sa.String(20), nullable=False, server_default="top-right"),
        sa.Column("logo_scale", sa.Float(), nullable=False, server_default="0.12"),
        sa.Column("logo_opacity", sa.Float(), nullable=False, server_default="0.9"),
        sa.Column("strap_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("strap_seconds", sa.Float(), nullable=False, server_default="4"),
        sa.Column("end_card_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("end_card_seconds", sa.Float(), nullable=False, server_default="2"),
        sa.Column("imprint_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("imprint_required", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("caption_font", sa.String(100), nullable=False, server_default=""),
        sa.Column("caption_size", sa.Float(), nullable=False, server_default="1"),
        sa.Column("caption_colour", sa.String(7), nullable=False, server_default="#FFFFFF"),
        sa.Column("caption_highlight", sa.String(7), nullable=False, server_default="#FFD400"),
        sa.Column("caption_outline", sa.String(7), nullable=False, server_default="#000000"),
        sa.Column("caption_position", sa.String(10), nullable=False, server_default="bottom"),
        sa.Column("caption_uppercase", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("clips") as batch:
        batch.add_column(sa.Column("speaker_role", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("clips") as batch:
        batch.drop_column("speaker_role")
    op.drop_table("branding")
