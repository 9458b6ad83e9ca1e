"""Google and Microsoft calendars through the mail account's OAuth grant

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 07:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('calendar_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_account_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('token_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_calendar_accounts_email_account_id', 'email_accounts', ['email_account_id'],
                                    ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('calendar_accounts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_calendar_accounts_email_account_id', type_='foreignkey')
        batch_op.drop_column('token_expires_at')
        batch_op.drop_column('email_account_id')
