"""The old notification settings (a Slack webhook, a notification address, an SMS key and number) become
notification channels, and their columns go

They were accepted and stored but never sent anything; channels (0014) do. A Slack URL and an address
become working channels. The old SMS fields lack what a Twilio-compatible API needs (the account SID and
the sending number), so they become an SMS channel that is off, saying what to add.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:00:00.000000
"""
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

from openfyxer.security import crypto

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ('slack_webhook_url', 'sms_provider', 'sms_api_key', 'sms_phone_number', 'notification_email')
EVENTS = ["urgent", "digest", "follow_up", "sync_failed"]  # models.notify.DEFAULT_EVENTS when this was written
SMS_OFF = ("moved from the old settings: add the account SID and the sending number (PATCH the channel's "
           "target), then turn it on")


def _plain(value: str | None, column: str) -> str:
    return crypto.decrypt(value, f'user_settings.{column}') if value else ''


def upgrade() -> None:
    bind = op.get_bind()
    settings = sa.table('user_settings', sa.column('user_id', sa.Uuid()), *(sa.column(c) for c in OLD))
    channels = sa.table('notify_channels', sa.column('id', sa.Uuid()), sa.column('user_id', sa.Uuid()),
                        sa.column('kind'), sa.column('name'), sa.column('config'), sa.column('hint'),
                        sa.column('events', sa.JSON()), sa.column('enabled', sa.Boolean()),
                        sa.column('disabled_reason'), sa.column('created_at', sa.DateTime(timezone=True)))
    now = datetime.now(UTC)
    for row in bind.execute(sa.select(settings)).mappings().all():
        made = []
        slack = _plain(row['slack_webhook_url'], 'slack_webhook_url')
        if slack:
            made.append(('slack', 'Slack', {'url': slack}, f"{urlsplit(slack).hostname}/…", None))
        if row['notification_email']:
            made.append(('email', 'Email', {'to': row['notification_email']}, row['notification_email'], None))
        phone = row['sms_phone_number'] or ''
        if phone:
            target = {'account_sid': '', 'auth_token': _plain(row['sms_api_key'], 'sms_api_key'), 'from': '',
                      'to': phone}
            made.append(('sms', 'SMS', target, f"{phone[:4]}…{phone[-2:]}", SMS_OFF))
        for kind, name, target, hint, off in made:
            bind.execute(channels.insert().values(
                id=uuid.uuid4(), user_id=row['user_id'], kind=kind, name=name, hint=hint[:200],
                config=crypto.encrypt(json.dumps(target), 'notify_channels.config'), events=EVENTS,
                enabled=off is None, disabled_reason=off, created_at=now))
    with op.batch_alter_table('user_settings', schema=None) as batch_op:
        for column in OLD:
            batch_op.drop_column(column)


def downgrade() -> None:
    # The columns come back empty: what moved into channels stays there.
    with op.batch_alter_table('user_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slack_webhook_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sms_provider', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('sms_api_key', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sms_phone_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('notification_email', sa.String(length=255), nullable=True))
