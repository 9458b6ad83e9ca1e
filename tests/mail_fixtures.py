"""Pytest fixtures for the real mail servers of tests/mailservers.py.

Registered from tests/conftest.py with `pytest_plugins = ["tests.mail_fixtures"]`.

Session-scoped (started once, on first use): `oauth_provider`, `dovecot` (its XOAUTH2/OAUTHBEARER
logins are checked at oauth_provider's introspection endpoint), `smtp_relay`.
Function-scoped: `oauth` and `relay` (the same servers with their per-test knobs reset before and
after the test), `mail_user` (a fresh Dovecot user, so tests never see each other's mail) and
`make_mail_user` (a factory for more of them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests import mailservers


@pytest.fixture(scope="session")
def oauth_provider() -> Iterator[mailservers.OAuthProvider]:
    provider = mailservers.start_oauth_provider()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def dovecot(oauth_provider: mailservers.OAuthProvider) -> Iterator[mailservers.Dovecot]:
    server = mailservers.start_dovecot(oauth_introspection_url=oauth_provider.introspect_url)
    _train_triage_models()
    yield server
    server.stop()


def _train_triage_models() -> None:
    """The intent model is trained on first use (about 30 s on one core): once per run, here, so that
    no mail test's wait for its sync and triage jobs includes the training."""
    from openfyxer.services.assistant import classifiers

    classifiers.intent_model()


@pytest.fixture(scope="session")
def smtp_relay(dovecot: mailservers.Dovecot,
               oauth_provider: mailservers.OAuthProvider) -> Iterator[mailservers.SmtpRelay]:
    server = mailservers.start_smtp_relay(dovecot, oauth_introspection_url=oauth_provider.introspect_url)
    yield server
    server.stop()


@pytest.fixture
def oauth(oauth_provider: mailservers.OAuthProvider) -> Iterator[mailservers.OAuthProvider]:
    """The shared provider with login_as/access_ttl/... back at their defaults."""
    oauth_provider.reset()
    yield oauth_provider
    oauth_provider.reset()


@pytest.fixture
def relay(smtp_relay: mailservers.SmtpRelay) -> Iterator[mailservers.SmtpRelay]:
    """The shared relay with fault=None, save_sent=False and empty delivered/auth_log."""
    smtp_relay.reset()
    yield smtp_relay
    smtp_relay.reset()


@pytest.fixture
def make_mail_user(dovecot: mailservers.Dovecot) -> Callable[..., mailservers.MailUser]:
    return dovecot.new_user


@pytest.fixture
def mail_user(dovecot: mailservers.Dovecot) -> mailservers.MailUser:
    """A fresh user: .name, .password, .address (name@example.test), .imap()."""
    return dovecot.new_user()
