"""Writing back to Google and Outlook calendars: each event's id there, and which calendars take writes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('calendar_objects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_id', sa.String(length=1024), nullable=True))
    with op.batch_alter_table('calendars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('writable', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('calendars', schema=None) as batch_op:
        batch_op.drop_column('writable')
    with op.batch_alter_table('calendar_objects', schema=None) as batch_op:
        batch_op.drop_column('remote_id')
