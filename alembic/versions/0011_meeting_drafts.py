"""meetings by mail: iTIP parts and offered times on drafts; the sender's UTC offset on emails

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 07:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_ics', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('calendar_method', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('meeting', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='{}', nullable=False))

    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_utc_offset', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_column('sent_utc_offset')

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('meeting')
        batch_op.drop_column('calendar_method')
        batch_op.drop_column('calendar_ics')
