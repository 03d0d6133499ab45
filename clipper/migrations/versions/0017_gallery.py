"""gallery: publications (the public snapshot of a clip, with its slug) and privacy-safe counts.

Revision ID: 0017
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("clip_id", sa.Integer(), sa.ForeignKey("clips.id", ondelete="CASCADE",
                                                         name="fk_publications_clip_id_clips"), nullable=False),
        sa.Column("slug", sa.String(32), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="published"),
        sa.Column("title", sa.String(300), nullable=False, server_default=""),
        sa.Column("speaker", sa.String(200), nullable=False, server_default=""),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("tags_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("post_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("caption_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("search_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("duration", sa.Float(), nullable=False, server_default="0"),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("vtt_key", sa.String(500), nullable=False, server_default=""),
        sa.Column("share_key", sa.String(500), nullable=False, server_default=""),
        sa.Column("share_size", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("share_width", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("share_height", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("image_key", sa.String(500), nullable=False, server_default=""),
        sa.Column("image_size", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("image_width", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("image_height", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("clip_id", name="uq_publications_clip_id"),
        sa.UniqueConstraint("slug", name="uq_publications_slug"),
    )
    op.create_index("ix_publications_status", "publications", ["status"])
    op.create_index("ix_publications_speaker", "publications", ["speaker"])
    op.create_index("ix_publications_published_at", "publications", ["published_at"])
    op.create_table(
        "public_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("clip_id", sa.Integer(), sa.ForeignKey("clips.id", ondelete="CASCADE",
                                                         name="fk_public_counts_clip_id_clips"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("variant", sa.String(20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("clip_id", "kind", "variant", name="uq_public_counts_clip_kind_variant"),
    )
    op.create_index("ix_public_counts_clip_id", "public_counts", ["clip_id"])


def downgrade() -> None:
    op.drop_table("public_counts")
    op.drop_table("publications")
