"""The summaries behind the dashboard's Home and Inbox: counts per category and mail per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openfyxer.core.db import session_scope
from openfyxer.services import emails
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
