"""The summaries behind the dashboard's Home and Inbox: counts per category and mail per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openfyxer.core.db import session_scope
from openfyxer.services.mail import emails
from tests.assistanthelpers import add_email, make_user_account


def test_category_counts_and_mail_per_day(sqlite_url):
    """GIVEN mail of one user over three days (one read, one in Sent, one unsorted) and another user's mail
    WHEN counted THEN each inbox category has its total and unread count, Sent mail and the other user's mail
    are left out, and every one of the last 7 days has its counts, including days without mail."""
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    with session_scope() as s:
        user, account = make_user_account(s)
        add_email(s, account, category="urgent", received_at=now - timedelta(hours=1))
        add_email(s, account, category="to_respond", received_at=now - timedelta(days=1))
        read = add_email(s, account, category="to_respond", received_at=now - timedelta(days=1, hours=2))
        read.is_read = True
        add_email(s, account, category=None, received_at=now - timedelta(days=2))
        add_email(s, account, category="fyi", received_at=now - timedelta(days=30))  # outside the window
        add_email(s, account, category="fyi", folder_role="sent", received_at=now)
        _, other = make_user_account(s, address="someone@example.com")
        add_email(s, other, category="spam", received_at=now)
        s.flush()
        counts = emails.category_counts(s, user=user)
        days = emails.daily_counts(s, user=user, days=7, now=now)
    assert counts == {"urgent": {"total": 1, "unread": 1}, "to_respond": {"total": 2, "unread": 1},
                      "unsorted": {"total": 1, "unread": 1}, "fyi": {"total": 1, "unread": 1}}
    assert [d["day"] for d in days] == [f"2026-11-{n}" for n in range(21, 28)]
    assert days[-1] == {"day": "2026-11-27", "urgent": 1}
    assert days[-2] == {"day": "2026-11-26", "to_respond": 2}
    assert days[-3] == {"day": "2026-11-25", "unsorted": 1}
    assert all(set(d) == {"day"} for d in days[:-3])


def test_activity_stamp_moves_with_what_the_dashboard_shows(sqlite_url):
    """GIVEN a user's mail WHEN nothing changes THEN the stamp stays; WHEN mail arrives, is sorted, is read, a
    draft is written or sent, or a sync makes progress THEN it moves; another user's changes leave it alone."""
    from openfyxer.models.draft import DraftCreate
    from openfyxer.services import activity
    from openfyxer.services.mail import drafts
    from openfyxer.services.mail.emails import update_email
    from openfyxer.models.email_api import EmailUpdate

    with session_scope() as s:
        user, account = make_user_account(s)
        _, other = make_user_account(s, address="someone@example.com")
        first = add_email(s, account, category="to_respond")
        s.flush()
        stamps = [activity.stamp(s, user_id=user.id)]

        def moved() -> bool:
            stamps.append(activity.stamp(s, user_id=user.id))
            return stamps[-1] != stamps[-2]

        assert not moved()
        add_email(s, other, category="spam")
        s.flush()
        assert not moved()
        unsorted = add_email(s, account, category=None)
        s.flush()
        assert moved()
        unsorted.category = "fyi"
        s.flush()
        assert moved()
        update_email(s, user=user, email_id=first.id, data=EmailUpdate(is_read=True))
        assert moved()
        draft = drafts.create(s, user=user, data=DraftCreate(account_id=account.id, email_id=first.id,
                                                              to=["bob@example.org"], content="Yes, Friday works."))
        s.flush()
        assert moved()
        draft.status = "sent"  # as the outbox does, without touching updated_at
        s.flush()
        assert moved()
        account.sync_state, account.sync_done = "running", 10
        s.flush()
        assert moved()


def test_bodies_for_the_offline_copy_are_the_users_own_and_cut(sqlite_url):
    with session_scope() as s:
        user, account = make_user_account(s)
        _, other = make_user_account(s, address="someone@example.com")
        mine = add_email(s, account, body="x" * 5000)
        theirs = add_email(s, other, body="not yours")
        s.flush()
        texts = emails.bodies(s, user=user, email_ids=[mine.id, theirs.id], limit=4000)
    assert texts == {str(mine.id): "x" * 4000}
    assert emails.bodies(s, user=user, email_ids=[]) == {}
