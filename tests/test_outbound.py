"""The outbound policy (openfyxer.security.outbound): where the server may connect when a user types
the address. The decision is tested as a table without connecting anywhere; end to end only with
loopback targets: the test Dovecot, the SMTP relay, the EWS stub and a fake service on 127.0.0.1.
Host names other than "localhost" resolve through a patched socket.getaddrinfo, never through DNS.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from openfyxer.core.errors import ValidationError
from openfyxer.integrations import ews, imap, smtp
from openfyxer.security import outbound
from openfyxer.security.outbound import OutboundRefused
from tests.conftest import apply_env
from tests.ews_stub import EwsStub
from tests.mailhelpers import connect_account

POLICY = "refused by the server's outbound policy"


# -- the decision ---------------------------------------------------------------------------------

@pytest.mark.parametrize("ip, kind", [
    ("10.0.0.1", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("100.64.0.1", "carrier-grade NAT"), ("127.0.0.1", "loopback"),
    ("0.0.0.0", "unspecified"), ("::1", "loopback"), ("fe80::1", "link-local"), ("fd00::1", "private"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:127.0.0.1", "loopback"), ("224.0.0.1", "multicast"),
    ("255.255.255.255", "broadcast"), ("::", "unspecified"),
])
def test_public_refuses_every_address_inside_a_network(monkeypatch, ip, kind):
    """GIVEN the public policy WHEN an internal, metadata, shared, unspecified or multicast address is
    judged THEN it is refused, and the reason names what kind of address it is."""
    apply_env(monkeypatch, outbound="public")
    assert kind in (outbound.check_address(ip) or "")


@pytest.mark.parametrize("ip", ["93.184.216.34", "2606:4700::1"])
def test_public_allows_internet_addresses(monkeypatch, ip):
    """GIVEN the public policy WHEN an internet address is judged THEN it is allowed (nothing connects)."""
    apply_env(monkeypatch, outbound="public")
    assert outbound.check_address(ip) is None


def test_the_allow_list_takes_ips_cidrs_and_host_names(monkeypatch):
    """GIVEN public with an allow-list of an IP, a CIDR and a host name WHEN addresses and names are
    judged THEN exactly the listed ones pass."""
    apply_env(monkeypatch, outbound="public", outbound_allow="10.0.0.5, 192.168.10.0/24,mail.corp.test")
    assert outbound.check_address("10.0.0.5") is None and outbound.check_address("::ffff:10.0.0.5") is None
    assert outbound.check_address("192.168.10.77") is None
    assert outbound.check_address("10.0.0.6") and outbound.check_address("192.168.11.1")
    answers = _fake_dns(monkeypatch, {"mail.corp.test": ["10.9.9.9"], "other.corp.test": ["10.9.9.9"]})
    assert outbound.resolve("mail.corp.test", 993, purpose="IMAP server") == "10.9.9.9"
    with pytest.raises(OutboundRefused, match="private network"):
        outbound.resolve("other.corp.test", 993, purpose="IMAP server")
    assert answers == {"mail.corp.test": 1, "other.corp.test": 1}


def test_any_allows_everything_and_looks_nothing_up(monkeypatch):
    """GIVEN the policy "any" WHEN addresses are judged and a name is resolved THEN all pass, and the
    name goes to the library untouched (no lookup of ours)."""
    apply_env(monkeypatch, outbound="any")
    for ip in ("127.0.0.1", "169.254.169.254", "10.0.0.1", "::1", "93.184.216.34"):
        assert outbound.check_address(ip) is None
    answers = _fake_dns(monkeypatch, {"localhost": ["127.0.0.1"]})
    assert outbound.resolve("localhost", 143, purpose="IMAP server") == "localhost"
    assert outbound.mail_target("localhost", 2525, "none", protocol="IMAP").address == "localhost"
    assert outbound.url_target("http://localhost:8080/x", purpose="Slack webhook").address == "localhost"
    assert answers == {}


def test_allowlist_refuses_what_is_not_listed(monkeypatch):
    """GIVEN the policy "allowlist" WHEN a public address that is not listed is judged THEN refused;
    the listed one passes."""
    apply_env(monkeypatch, outbound="allowlist", outbound_allow="203.0.113.0/24")
    assert "allow-list" in outbound.check_address("93.184.216.34")
    assert outbound.check_address("203.0.113.9") is None


def test_a_name_with_one_internal_address_among_public_ones_is_refused(monkeypatch):
    """GIVEN a name resolving to a public and a private address WHEN resolved under public THEN refused:
    every address it resolves to is judged, not just the first."""
    apply_env(monkeypatch, outbound="public")
    _fake_dns(monkeypatch, {"mixed.example.test": [("93.184.216.34", "10.0.0.1")]})
    with pytest.raises(OutboundRefused, match="private network"):
        outbound.resolve("mixed.example.test", 993, purpose="IMAP server")


def test_public_wants_tls_and_the_protocols_ports(monkeypatch):
    """GIVEN public WHEN a mail server is named without TLS, or on a port that is not a mail port,
    or a URL is plain http or not on 443 THEN refused (nothing connects); allow-listed servers may use
    any port but still need TLS."""
    apply_env(monkeypatch, outbound="public", outbound_allow="mail.corp.test")
    _fake_dns(monkeypatch, {"imap.example.test": ["93.184.216.34"], "mail.corp.test": ["10.0.0.5"],
                            "hooks.example.test": ["93.184.216.34"]})
    assert outbound.mail_target("imap.example.test", 993, "ssl", protocol="IMAP").address == "93.184.216.34"
    assert outbound.mail_target("imap.example.test", 587, "starttls", protocol="SMTP").address == "93.184.216.34"
    with pytest.raises(OutboundRefused, match="STARTTLS"):
        outbound.mail_target("imap.example.test", 143, "none", protocol="IMAP")
    with pytest.raises(OutboundRefused, match="port 6379"):
        outbound.mail_target("imap.example.test", 6379, "ssl", protocol="IMAP")
    assert outbound.mail_target("mail.corp.test", 10993, "ssl", protocol="IMAP").address == "10.0.0.5"
    with pytest.raises(OutboundRefused, match="STARTTLS"):
        outbound.mail_target("mail.corp.test", 10143, "none", protocol="IMAP")
    with pytest.raises(OutboundRefused, match="https"):
        outbound.url_target("http://hooks.example.test/x", purpose="Slack webhook")
    with pytest.raises(OutboundRefused, match="port 8443"):
        outbound.url_target("https://hooks.example.test:8443/x", purpose="Slack webhook")


def test_the_default_is_any_embedded_and_public_for_a_server_install():
    """GIVEN no OPENFYXER_OUTBOUND WHEN settings load THEN "any" with SQLite and no Redis, "public" with
    PostgreSQL or Redis; an explicit value wins; a malformed allow-list fails at start-up."""
    from openfyxer.core.config import Settings

    def mode(**kw) -> str:
        return Settings(_env_file=None, environment="development", **{"outbound": "", **kw}).outbound_mode

    assert mode() == "any"
    assert mode(database_url="sqlite:////tmp/x.db") == "any"
    assert mode(database_url="postgresql://u@h/db") == "public"
    assert mode(redis_url="redis://h:6379/0") == "public"
    assert mode(database_url="postgresql://u@h/db", outbound="any") == "any"
    assert mode(outbound="allowlist") == "allowlist"
    with pytest.raises(ValueError, match="OUTBOUND_ALLOW"):
        Settings(_env_file=None, environment="development", outbound_allow="10.0.0.0/33")


# -- end to end: mail accounts ------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_connecting_an_account_to_this_server_is_refused_under_public(monkeypatch, sqlite_url, mail_user, dovecot,
                                                                        relay, host):
    """GIVEN public WHEN an account is connected to the Dovecot on 127.0.0.1 (or "localhost") THEN a
    clear refusal in our words, before anything connects, so nothing the server says can show."""
    apply_env(monkeypatch, outbound="public", tls_ca_file=str(dovecot.cert_path))
    dialed = _watch_dials(monkeypatch)
    with pytest.raises(OutboundRefused) as err:
        connect_account(mail_user, dovecot, relay, imap_host=host, smtp_host=host,
                        imap_port=dovecot.imaps_port, imap_security="ssl")
    assert err.value.code == "outbound_refused" and err.value.status == 400
    assert "loopback address" in err.value.message and POLICY in err.value.message
    assert "dovecot" not in err.value.message.lower() and dialed == []


def test_connecting_an_account_on_loopback_works_under_any(monkeypatch, sqlite_url, mail_user, dovecot, relay):
    """GIVEN the policy "any" WHEN the account on 127.0.0.1 is connected THEN it is saved."""
    apply_env(monkeypatch, outbound="any", tls_ca_file=str(dovecot.cert_path))
    assert connect_account(mail_user, dovecot, relay)


def test_an_allow_listed_mail_server_is_reached_under_public(monkeypatch, sqlite_url, mail_user, dovecot, relay):
    """GIVEN public with 127.0.0.1 allow-listed WHEN the account is connected over IMAPS and STARTTLS on
    the test servers' own ports THEN it is saved."""
    apply_env(monkeypatch, outbound="public", outbound_allow="127.0.0.1", tls_ca_file=str(dovecot.cert_path))
    assert connect_account(mail_user, dovecot, relay, imap_port=dovecot.imaps_port, imap_security="ssl")


def test_what_a_server_says_is_never_read_back(fake_service, dovecot):
    """GIVEN services on 127.0.0.1 that are not what the user named, each with a banner (policy "any")
    WHEN IMAP, SMTP and EWS are pointed at them THEN each fails in our words, without a word of what
    the service sent."""
    line = fake_service(b"-ERR secret-banner internal-redis 7.2\r\n")
    body = b"secret-banner internal-redis 7.2\n"
    http = fake_service(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    imap_cfg = imap.ImapConfig(host="127.0.0.1", port=line, security="none", username="u", password="p", timeout=5)
    smtp_cfg = smtp.SmtpConfig(host="127.0.0.1", port=line, security="none", username="u", password="p", timeout=5)
    smtp_at_dovecot = dataclasses.replace(smtp_cfg, port=dovecot.imap_port)  # an IMAP greeting to SMTP
    ews_cfg = ews.EwsConfig(url=f"http://127.0.0.1:{http}/EWS/Exchange.asmx", username="u", password="p",
                            email_address="u@example.test", timeout=5)
    for check, cfg in ((imap.verify, imap_cfg), (smtp.verify, smtp_cfg), (smtp.verify, smtp_at_dovecot),
                       (ews.verify, ews_cfg)):
        with pytest.raises((imap.ImapError, smtp.SmtpError, ews.EwsError)) as err:
            check(cfg)
        text = err.value.message.lower()
        assert "secret-banner" not in text and "internal-redis" not in text and "dovecot" not in text, text


# -- end to end: one lookup, and the connection goes where it was checked ---------------------------

def test_imap_resolves_the_name_once_and_keeps_it_for_tls(monkeypatch, mail_user, dovecot):
    """GIVEN public with 127.0.0.1 allow-listed and a name whose next DNS answer would differ
    (rebinding) WHEN signing in over IMAPS THEN one lookup, the connection goes to the checked address,
    and TLS checks the certificate against the name (a name the certificate lacks fails)."""
    apply_env(monkeypatch, outbound="public", outbound_allow="127.0.0.1")
    answers = _fake_dns(monkeypatch, {"localhost": ["127.0.0.1", "127.0.0.2"],
                                      "mail.example.test": ["127.0.0.1", "127.0.0.2"]})
    dialed = _watch_dials(monkeypatch)
    cfg = imap.ImapConfig(host="localhost", port=dovecot.imaps_port, security="ssl", username=mail_user.name,
                          password=mail_user.password, timeout=10, ca_file=str(dovecot.cert_path))
    imap.verify(cfg)
    assert answers["localhost"] == 1 and dialed == ["127.0.0.1"]
    with pytest.raises(imap.ImapConnectError, match="(?i)certificate"):
        imap.verify(dataclasses.replace(cfg, host="mail.example.test"))
    assert answers["mail.example.test"] == 1


def test_smtp_resolves_the_name_once(monkeypatch, mail_user, dovecot, relay):
    """GIVEN public with 127.0.0.1 allow-listed WHEN signing in to the relay by name with STARTTLS
    THEN one lookup, and the connection goes to the checked address."""
    apply_env(monkeypatch, outbound="public", outbound_allow="127.0.0.1")
    answers = _fake_dns(monkeypatch, {"localhost": ["127.0.0.1", "127.0.0.2"]})
    dialed = _watch_dials(monkeypatch)
    smtp.verify(smtp.SmtpConfig(host="localhost", port=relay.port, security="starttls", username=mail_user.name,
                                password=mail_user.password, timeout=10, ca_file=str(dovecot.cert_path)))
    assert answers["localhost"] == 1 and dialed == ["127.0.0.1"]


# -- end to end: the Exchange URL --------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_an_exchange_url_on_this_server_is_refused_under_public(monkeypatch, tls_stub, host):
    """GIVEN public WHEN the EWS URL points at this server (by address or by name) THEN refused before
    any request reaches it."""
    server, ca_file = tls_stub
    apply_env(monkeypatch, outbound="public")
    cfg = _ews_config(server, ca_file, host)
    with pytest.raises(OutboundRefused, match="loopback"):
        ews.verify(cfg)
    with pytest.raises(ews.EwsSendFailed) as err:
        ews.send(cfg, b"Subject: hi\r\nTo: bogdan@example.org\r\n\r\nhi\r\n")
    assert err.value.kind == "permanent" and POLICY in err.value.message
    with pytest.raises(OutboundRefused, match="https"):
        ews.verify(dataclasses.replace(cfg, url=cfg.url.replace("https://", "http://")))
    assert server.requests == []


def test_connecting_an_exchange_account_to_this_server_is_refused_under_public(monkeypatch, sqlite_url, tls_stub):
    """GIVEN public WHEN an Exchange account is connected with an EWS URL on "localhost" THEN refused."""
    from openfyxer.core.db import session_scope
    from openfyxer.models.account import AccountCreate
    from openfyxer.services import auth
    from openfyxer.services.mail import accounts

    server, _ = tls_stub
    apply_env(monkeypatch, outbound="public")
    data = AccountCreate(provider="exchange", email_address=server.email, username=server.username,
                         password=server.password, ews_url=server.url.replace("127.0.0.1", "localhost"))
    with pytest.raises(OutboundRefused, match="loopback"), session_scope() as db:
        user = auth.register(db, email=f"{uuid.uuid4().hex[:8]}@owner.test", password="correct horse battery")
        accounts.connect_account(db, user=user, data=data)
    assert server.requests == []


def test_an_allow_listed_exchange_server_is_reached_at_the_checked_address(monkeypatch, tls_stub):
    """GIVEN public with 127.0.0.1 allow-listed WHEN verifying an EWS URL by name THEN one lookup for
    all its requests, each connecting to the checked address, TLS checked against the name."""
    server, ca_file = tls_stub
    apply_env(monkeypatch, outbound="public", outbound_allow="127.0.0.1")
    answers = _fake_dns(monkeypatch, {"localhost": ["127.0.0.1", "127.0.0.2"]})
    dialed = _watch_dials(monkeypatch)
    ews.verify(_ews_config(server, ca_file, "localhost"))
    assert server.requests == ["GetFolder root", "GetFolder inbox"]
    assert answers["localhost"] == 1 and dialed and set(dialed) == {"127.0.0.1"}


# -- saved URLs: the Slack webhook ------------------------------------------------------------------

@pytest.mark.parametrize("url, why", [
    ("https://127.0.0.1/services/T0/B0/x", "loopback"),
    ("https://localhost/services/T0/B0/x", "loopback"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("http://localhost/services/T0/B0/x", "https"),
])
def test_a_slack_webhook_inside_the_network_is_refused_when_saved(monkeypatch, sqlite_url, url, why):
    """GIVEN public WHEN a Slack channel whose URL is inside the server's network is added THEN refused, not saved."""
    from openfyxer.core.db import session_scope
    from openfyxer.models.notify import ChannelCreate
    from openfyxer.services import auth
    from openfyxer.services.notify import channels

    apply_env(monkeypatch, outbound="public")
    with session_scope() as db:
        user_id = auth.register(db, email="ana@example.test", password="correct horse battery").id
    with pytest.raises((OutboundRefused, ValidationError), match=why), session_scope() as db:
        channels.create(db, user_id=user_id, data=ChannelCreate(kind="slack", target={"url": url}))
    with session_scope() as db:
        assert channels.list_channels(db, user_id=user_id) == []


# -- helpers --------------------------------------------------------------------------------------

def _fake_dns(monkeypatch, table: dict[str, list]) -> Counter:
    """Answer getaddrinfo for the names in `table` (the n-th lookup gets the n-th answer, the last one
    after that; an answer is an address or a tuple of them); anything else goes to the real resolver,
    which only ever sees addresses and "localhost" here. Returns the lookups per name."""
    real, lookups = socket.getaddrinfo, Counter()

    def getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if host not in table:
            return real(host, port, *args, **kwargs)
        answers = table[host]
        answer = answers[min(lookups[host], len(answers) - 1)]
        lookups[host] += 1
        out = []
        for ip in (answer,) if isinstance(answer, str) else answer:
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            out.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port or 0)))
        return out

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def _watch_dials(monkeypatch) -> list[str]:
    """The addresses TCP connections are opened to: socket.connect, under every library."""
    dialed: list[str] = []
    real = socket.socket.connect

    def connect(self, address):  # noqa: ANN001, ANN202
        if self.family in (socket.AF_INET, socket.AF_INET6):
            dialed.append(address[0])
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return dialed


def _ews_config(server: EwsStub, ca_file: str, host: str) -> ews.EwsConfig:
    return ews.EwsConfig(url=server.url.replace("127.0.0.1", host), username=server.username,
                         password=server.password, email_address=server.email, timeout=5, ca_file=ca_file)


@pytest.fixture
def tls_stub(tmp_path) -> Iterator[tuple[EwsStub, str]]:
    """The EWS stub over HTTPS with a private CA (certificate for 127.0.0.1 and localhost)."""
    from tests.mailservers import make_tls_files

    files = make_tls_files(tmp_path)
    server = EwsStub().start(tls=files.server_context())
    yield server, str(files.ca_path)
    server.stop()
    assert not server.errors, server.errors[0]


@pytest.fixture
def fake_service() -> Iterator:
    """Start services on 127.0.0.1 that are no mail server: each sends its banner to every connection
    as soon as it opens (then reads what comes), and the banner must never reach an error message."""
    stop, threads, listeners = threading.Event(), [], []

    def serve(listener: socket.socket, banner: bytes) -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.sendall(banner)
                    conn.recv(65536)
                except OSError:
                    pass

    def start(banner: bytes) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.2)
        listeners.append(listener)
        threads.append(threading.Thread(target=serve, args=(listener, banner), daemon=True))
        threads[-1].start()
        return listener.getsockname()[1]

    yield start
    stop.set()
    for thread in threads:
        thread.join(5)
    for listener in listeners:
        listener.close()
