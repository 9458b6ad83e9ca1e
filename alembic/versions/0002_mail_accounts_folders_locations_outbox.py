"""mail accounts folders locations outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 15:01:13.287319
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('oauth_flows',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('code_verifier', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('state')
    )
    op.create_table('mail_folders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=True),
    sa.Column('last_uid', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('highest_modseq', sa.BigInteger(), nullable=True),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['email_accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'name', name='uq_mail_folders_account_name')
    )
    op.create_table('email_locations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('folder_id', sa.Uuid(), nullable=False),
    sa.Column('email_id', sa.Uuid(), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.BigInteger(), nullable=False),
    sa.Column('flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['email_accounts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['email_id'], ['emails.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['folder_id'], ['mail_folders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'folder_id', 'uidvalidity', 'uid', name='uq_email_locations_uid')
    )
    with op.batch_alter_table('email_locations', schema=None) as batch_op:
        batch_op.create_index('ix_email_locations_email', ['email_id'], unique=False)

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storage_path', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('content_id', sa.String(length=255), nullable=True))
        batch_op.alter_column('file_type',
               existing_type=sa.VARCHAR(length=50),
               type_=sa.String(length=255),
               existing_nullable=True)

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('to_addresses', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('cc_addresses', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('subject', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('in_reply_to', sa.String(length=998), nullable=True))
        batch_op.add_column(sa.Column('references', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('send_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('delivery_uncertain', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sending_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False))
        batch_op.create_index(batch_op.f('ix_drafts_account_id'), ['account_id'], unique=False)
        batch_op.create_unique_constraint('uq_drafts_message_id', ['message_id'])
        batch_op.create_foreign_key('fk_drafts_account_id', 'email_accounts', ['account_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('email_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('username', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('imap_host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('imap_port', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('imap_security', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('smtp_host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('smtp_port', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('smtp_security', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('ews_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('smtp_saves_sent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('oauth_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sync_state', sa.String(length=20), server_default='idle', nullable=False))
        batch_op.add_column(sa.Column('sync_done', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sync_total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sync_error', sa.Text(), nullable=True))

    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_reply_to', sa.String(length=998), nullable=True))
        batch_op.add_column(sa.Column('references', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('sender_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('cc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('reply_to', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('has_remote_images', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('folder_role', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('list_unsubscribe', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('list_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('precedence', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('auto_submitted', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('size', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('parse_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('raw', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_column('raw')
        batch_op.drop_column('parse_error')
        batch_op.drop_column('size')
        batch_op.drop_column('auto_submitted')
        batch_op.drop_column('precedence')
        batch_op.drop_column('list_id')
        batch_op.drop_column('list_unsubscribe')
        batch_op.drop_column('folder_role')
        batch_op.drop_column('has_remote_images')
        batch_op.drop_column('reply_to')
        batch_op.drop_column('cc')
        batch_op.drop_column('sender_name')
        batch_op.drop_column('references')
        batch_op.drop_column('in_reply_to')

    with op.batch_alter_table('email_accounts', schema=None) as batch_op:
        batch_op.drop_column('sync_error')
        batch_op.drop_column('sync_total')
        batch_op.drop_column('sync_done')
        batch_op.drop_column('sync_state')
        batch_op.drop_column('oauth_expires_at')
        batch_op.drop_column('smtp_saves_sent')
        batch_op.drop_column('ews_url')
        batch_op.drop_column('smtp_security')
        batch_op.drop_column('smtp_port')
        batch_op.drop_column('smtp_host')
        batch_op.drop_column('imap_security')
        batch_op.drop_column('imap_port')
        batch_op.drop_column('imap_host')
        batch_op.drop_column('username')
        batch_op.drop_column('display_name')

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_drafts_account_id', type_='foreignkey')
        batch_op.drop_constraint('uq_drafts_message_id', type_='unique')
        batch_op.drop_index(batch_op.f('ix_drafts_account_id'))
        batch_op.drop_column('updated_at')
        batch_op.drop_column('sending_started_at')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('delivery_uncertain')
        batch_op.drop_column('send_attempts')
        batch_op.drop_column('references')
        batch_op.drop_column('in_reply_to')
        batch_op.drop_column('message_id')
        batch_op.drop_column('subject')
        batch_op.drop_column('cc_addresses')
        batch_op.drop_column('to_addresses')
        batch_op.drop_column('account_id')

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('file_type',
               existing_type=sa.String(length=255),
               type_=sa.VARCHAR(length=50),
               existing_nullable=True)
        batch_op.drop_column('content_id')
        batch_op.drop_column('sha256')
        batch_op.drop_column('storage_path')

    with op.batch_alter_table('email_locations', schema=None) as batch_op:
        batch_op.drop_index('ix_email_locations_email')

    op.drop_table('email_locations')
    op.drop_table('mail_folders')
    op.drop_table('oauth_flows')

