"""One-click unsubscribe (issue 17): RFC 8058's POST when the list offers it, received by a local HTTP
receiver; the mailto form through the outbox, received by the SMTP relay; the outbound policy applied to
the list's address as to any address a stranger gave."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.core.errors import Conflict
from openfyxer.models.account import EmailAccount
from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.services.mail import outbox, sync, unsubscribe
from tests.conftest import apply_env
from tests.helpers import held_jobs
from tests.mailhelpers import connect_account, message
from tests.notify_receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def env(monkeypatch, dovecot, sqlite_url):  # noqa: ANN001
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path))


def _newsletter(dovecot, mail_user, subject: str, unsubscribe_header: str | None, one_click: bool) -> None:  # noqa: ANN001
    raw = message(to=mail_user.address, sender="Deals <news@shop.example.com>", subject=subject, body="Offers.")
    extra = b""
    if unsubscribe_header:
        extra += b"List-Unsubscribe: " + unsubscribe_header.encode() + b"\r\n"
    if one_click:
        extra += b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    dovecot.deliver(mail_user.name, extra + raw)


def _synced(account_id: uuid.UUID) -> tuple[User, dict[str, uuid.UUID]]:
    with held_jobs():
        sync.sync_account(account_id=account_id)
    with session_scope() as db:
        user = db.get(User, db.get(EmailAccount, account_id).user_id)
        db.expunge(user)
        rows = dict(db.exec(select(Email.subject, Email.id).where(Email.account_id == account_id)).all())
    return user, rows


def _unsubscribe(user: User, email_id: uuid.UUID) -> unsubscribe.Outcome:
    with held_jobs(), session_scope() as db:
        return unsubscribe.unsubscribe(db, user=user, email_id=email_id)


def test_one_click_posts_to_the_list_and_mailto_goes_through_the_outbox(env, mail_user, make_mail_user, dovecot,
                                                                         relay, receiver, monkeypatch):
    """GIVEN newsletters offering one-click (with a mailto beside it), mailto only, a web page only, and
    nothing WHEN the user unsubscribes from each THEN the first is one POST of "List-Unsubscribe=One-Click"
    (form-encoded) to the list's address; the second a message to the list's address with the subject it
    names, delivered once by the outbox; the third gives the page to open; the last is refused plainly.
    A one-click address the server refuses falls back to the mailto form."""
    lists = make_mail_user("lists")
    account_id = connect_account(mail_user, dovecot, relay)
    _newsletter(dovecot, mail_user, "One click", f"<{receiver.url('/u/42')}>, <mailto:{lists.address}>", True)
    _newsletter(dovecot, mail_user, "Mail only", f"<mailto:{lists.address}?subject=leave%20list%207>", False)
    _newsletter(dovecot, mail_user, "Web only", "<https://shop.example.com/preferences>", False)
    _newsletter(dovecot, mail_user, "Nothing", None, False)
    user, ids = _synced(account_id)
    with session_scope() as db:
        assert db.get(Email, ids["One click"]).list_unsubscribe_one_click is True
        assert db.get(Email, ids["Mail only"]).list_unsubscribe_one_click is False

    assert _unsubscribe(user, ids["One click"]).how == "one_click"
    (got,) = receiver.wait_for(1)
    assert got["path"] == "/u/42" and got["body"] == b"List-Unsubscribe=One-Click"
    assert got["headers"]["Content-Type"] == "application/x-www-form-urlencoded"

    done = _unsubscribe(user, ids["Mail only"])
    assert done.how == "mailto"
    assert outbox.deliver(draft_id=uuid.UUID(done.detail)) == "sent"
    sent = [d for d in relay.delivered if lists.address in d[1]]
    assert len(sent) == 1 and b"Subject: leave list 7" in sent[0][2]

    assert _unsubscribe(user, ids["Web only"]) == unsubscribe.Outcome("web", "https://shop.example.com/preferences")
    with pytest.raises(Conflict, match="no way to unsubscribe"):
        _unsubscribe(user, ids["Nothing"])

    # Under the public-address policy the loopback one-click address is refused before any connection:
    # the mailto beside it is used instead, and the receiver hears nothing more.
    apply_env(monkeypatch, outbound="public")
    assert _unsubscribe(user, ids["One click"]).how == "mailto"
    assert len(receiver.got) == 1
