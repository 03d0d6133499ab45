"""speakers: word pieces, speaker turns and names, enrolled voices, and how often the speech guard fired.

Revision ID: 0015
Revises: 0012 (id 0015 is this branch's assigned one; it follows main's newest, 0012)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("words") as batch:
        batch.add_column(sa.Column("pieces", sa.JSON(), nullable=True))
    with op.batch_alter_table("segments") as batch:
        batch.add_column(sa.Column("speaker_label", sa.String(50), nullable=False, server_default=""))
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("speech_rechecks", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "recording_speakers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recording_id", sa.Integer(), sa.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("label", sa.String(50), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False, server_default="0"),
        sa.Column("embedding", sa.JSON(), nullable=False),
    )
    op.create_index("ix_recording_speakers_recording_label", "recording_speakers", ["recording_id", "label"],
                    unique=True)
    op.create_table(
        "voices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("recording_id", sa.Integer(), sa.ForeignKey("recordings.id", ondelete="SET NULL"), nullable=True),
        sa.Column("embedding", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("voices")
    op.drop_index("ix_recording_speakers_recording_label", table_name="recording_speakers")
    op.drop_table("recording_speakers")
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("speech_rechecks")
    with op.batch_alter_table("segments") as batch:
        batch.drop_column("speaker_label")
    with op.batch_alter_table("words") as batch:
        batch.drop_column("pieces")
