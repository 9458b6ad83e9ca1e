"""calendars: accounts, calendars, objects; instances of events

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 21:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_accounts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=50), nullable=False),
    sa.Column('server_url', sa.String(length=500), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('password', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'server_url', 'username', name='uq_calendar_accounts_user_server')
    )
    with op.batch_alter_table('calendar_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_accounts_user_id'), ['user_id'], unique=False)

    op.create_table('calendars',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('color', sa.String(length=20), nullable=True),
    sa.Column('visible', sa.Boolean(), nullable=False),
    sa.Column('busy', sa.Boolean(), nullable=False),
    sa.Column('sync_token', sa.Text(), nullable=True),
    sa.Column('sync_state', sa.String(length=20), nullable=False),
    sa.Column('sync_error', sa.Text(), nullable=True),
    sa.Column('synced_events', sa.Integer(), server_default='0', nullable=False),
    sa.Column('skipped', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['calendar_accounts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'url', name='uq_calendars_account_url')
    )
    with op.batch_alter_table('calendars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendars_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendars_user_id'), ['user_id'], unique=False)

    op.create_table('calendar_objects',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('calendar_id', sa.Uuid(), nullable=False),
    sa.Column('href', sa.String(length=1000), nullable=False),
    sa.Column('etag', sa.String(length=255), nullable=True),
    sa.Column('uid', sa.String(length=500), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('recurring', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('calendar_id', 'href', name='uq_calendar_objects_calendar_href')
    )
    with op.batch_alter_table('calendar_objects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_objects_calendar_id'), ['calendar_id'], unique=False)

    with op.batch_alter_table('user_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheduling', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='{}', nullable=False))

    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('object_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('uid', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('recurrence_id', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tzid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('organizer', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='CONFIRMED', nullable=False))
        batch_op.add_column(sa.Column('transparent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_calendar_events_calendar_id'), ['calendar_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_events_object_id'), ['object_id'], unique=False)
        batch_op.create_unique_constraint('uq_calendar_events_instance', ['object_id', 'uid', 'recurrence_id'])
        batch_op.create_foreign_key('fk_calendar_events_object_id', 'calendar_objects', ['object_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key('fk_calendar_events_calendar_id', 'calendars', ['calendar_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('user_settings', schema=None) as batch_op:
        batch_op.drop_column('scheduling')

    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.drop_constraint('fk_calendar_events_calendar_id', type_='foreignkey')
        batch_op.drop_constraint('fk_calendar_events_object_id', type_='foreignkey')
        batch_op.drop_constraint('uq_calendar_events_instance', type_='unique')
        batch_op.drop_index(batch_op.f('ix_calendar_events_object_id'))
        batch_op.drop_index(batch_op.f('ix_calendar_events_calendar_id'))
        batch_op.drop_column('transparent')
        batch_op.drop_column('status')
        batch_op.drop_column('organizer')
        batch_op.drop_column('tzid')
        batch_op.drop_column('recurrence_id')
        batch_op.drop_column('uid')
        batch_op.drop_column('object_id')
        batch_op.drop_column('calendar_id')

    with op.batch_alter_table('calendar_objects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_objects_calendar_id'))

    op.drop_table('calendar_objects')
    with op.batch_alter_table('calendars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendars_user_id'))
        batch_op.drop_index(batch_op.f('ix_calendars_account_id'))

    op.drop_table('calendars')
    with op.batch_alter_table('calendar_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_accounts_user_id'))

    op.drop_table('calendar_accounts')
