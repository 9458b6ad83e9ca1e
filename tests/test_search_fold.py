"""Romanian search (issue 17): case and diacritics are ignored on both databases, in the inbox's search
and the knowledge answers' keyword look-up; a user's % or _ is a character, not a wildcard."""

from __future__ import annotations

import pytest

from openfyxer.core.db import session_scope
from openfyxer.core.textfold import fold
from openfyxer.services.knowledge import rag
from openfyxer.services.mail import emails
from tests.assistanthelpers import add_email, make_user_account


@pytest.fixture
def mailbox(database_url):  # noqa: ANN001
    with session_scope() as db:
        user, account = make_user_account(db)
        add_email(db, account, subject="Ședințele de luni", body="Agenda ședinței: bugetul pe trimestrul III.",
                  sender="ion@firma.ro", sender_name="Ion Țurcanu")
        add_email(db, account, subject="Şedinţa amânată", body="Cu sedilă, cum scriu tastaturile vechi.")
        add_email(db, account, subject="Café meeting", body="Discount 50% for members_only.")
        add_email(db, account, subject="Other", body="Nothing to see.")
        db.expunge(user)
    return user


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_search_ignores_case_and_diacritics(mailbox):
    """GIVEN mail written with comma-below, cedilla and accented letters WHEN searched with or without them
    THEN the same messages are found; a % in the words is matched literally."""
    def found(q: str, **kw) -> set[str]:
        with session_scope() as db:
            return {e.subject for e in emails.list_emails(db, user=mailbox, q=q, **kw)[0]}

    both = {"Ședințele de luni", "Şedinţa amânată"}
    assert found("sedint") == found("ședinț") == found("ŞEDINŢ") == found("SEDINT") == both
    assert found("amanata") == {"Şedinţa amânată"}
    assert found("cafe") == found("CAFÉ") == {"Café meeting"}
    assert found("turcanu") == {"Ședințele de luni"}  # the sender's name
    assert found("50%") == {"Café meeting"} and found("0%f") == set()
    assert found("members_only") == {"Café meeting"} and found("members_") == {"Café meeting"}
    assert found("%") == {"Café meeting"}
    with session_scope() as db:
        assert len(emails.list_emails(db, user=mailbox, sender="ţurcanu")[0]) == 1
        assert len(rag._keyword_mail(db, mailbox, "Sedintele")) == 1


def test_fold_is_what_the_databases_do():
    assert fold("ȘșŞşȚțŢţĂăÂâÎî") == "ssssttttaaaaii"
    assert fold("Ședințe") == "sedinte" and fold("CAFÉ") == "cafe"
