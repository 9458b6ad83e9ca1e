"""exchange sync token

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 15:30:43.682936
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('mail_folders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sync_token', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mail_folders', schema=None) as batch_op:
        batch_op.drop_column('sync_token')


