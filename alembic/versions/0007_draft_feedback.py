"""draft feedback: the generated text, the edit size at approval, the reason of a rejection, and the
choices offered when an email asks the user to decide

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:05:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('generated_content', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('edit_ratio', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('reject_reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('choices', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('choices')
        batch_op.drop_column('reject_reason')
        batch_op.drop_column('edit_ratio')
        batch_op.drop_column('generated_content')
