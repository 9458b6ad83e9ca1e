"""A draft that forwards a message (its attachments go with it); whether a list offers one-click unsubscribe

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 21:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forward_of', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key('fk_drafts_forward_of', 'emails', ['forward_of'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_unsubscribe_one_click', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_column('list_unsubscribe_one_click')
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_drafts_forward_of', type_='foreignkey')
        batch_op.drop_column('forward_of')
