"""Real mail servers for the tests: Dovecot (IMAP + LMTP), an aiosmtpd relay and a small OAuth2 provider.

Everything listens on 127.0.0.1 on free ports, lives in its own temporary folder and is stopped by
the object that started it. Nothing here touches the system Dovecot (`/etc/dovecot`): our Dovecot
runs in the foreground (`dovecot -F -c OUR_CONF`) with base_dir/state_dir/log_path in its folder.

Debian packages: dovecot-imapd dovecot-lmtpd (dovecot-core comes with them).
PyPI (test extras): aiosmtpd, authlib (client side of the OAuth round trip), httpx, cryptography.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email.utils
import grp
import hashlib
import imaplib
import json
import os
import pwd
import secrets
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from tests.servers import _need, free_port, wait_for

HOST = "127.0.0.1"
MAIL_DOMAIN = "example.test"
MAIL_OWNER = "nobody"  # Dovecot's static userdb uid/gid: the maildirs belong to nobody:nogroup
MAIL_GROUP = "nogroup"

# Special-use folders every user gets (auto = subscribe): name -> RFC 6154 attribute.
SPECIAL_USE = {"Sent": r"\Sent", "Drafts": r"\Drafts", "Trash": r"\Trash", "Junk": r"\Junk",
               "Archive": r"\Archive"}


# --------------------------------------------------------------------------------------------
# TLS: a throw-away CA and a server certificate for 127.0.0.1 / localhost
# --------------------------------------------------------------------------------------------

@dataclass
class TlsFiles:
    ca_path: Path      # the certificate clients trust (cafile=...)
    cert_path: Path    # server certificate (signed by the CA)
    key_path: Path     # server private key

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only our CA (hostname 127.0.0.1 or localhost)."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert_path), str(self.key_path))
        return ctx


def make_tls_files(folder: Path) -> TlsFiles:
    """CA + leaf certificate with SAN IP:127.0.0.1 and DNS:localhost, strict-X.509 clean."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "OpenFyxer test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, encipher_only=False,
                                     decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address(HOST))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, encipher_only=False,
                                     decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca_path.write_bytes(ca.public_bytes(pem))
    # Chain file: leaf first, then the CA (harmless for clients, complete for strict ones).
    files.cert_path.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    files.key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    for p in (files.ca_path, files.cert_path):
        p.chmod(0o644)
    files.key_path.chmod(0o600)
    return files


# --------------------------------------------------------------------------------------------
# Dovecot
# --------------------------------------------------------------------------------------------

def _xoauth2(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (not base64-encoded)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def imap_xoauth2(conn: imaplib.IMAP4, user: str, token: str) -> tuple[str, list]:
    """`AUTHENTICATE XOAUTH2` with imaplib (raises imaplib.IMAP4.error when refused)."""
    return conn.authenticate("XOAUTH2", lambda _challenge: _xoauth2(user, token).encode())


def _maildir_folder(root: Path, folder: str) -> Path:
    """Maildir++ path of an IMAP folder ("INBOX", "Sent", "Projects/2024" -> .Projects.2024)."""
    if folder.upper() == "INBOX":
        return root
    if not folder.isascii() or "." in folder:
        raise ValueError(f"folder names here are ASCII without dots (maildir++ on disk): {folder!r}")
    return root / ("." + folder.replace("/", "."))


@dataclass
class MailUser:
    """A Dovecot user made for one test."""

    name: str
    password: str
    address: str
    dovecot: Dovecot = field(repr=False)

    def imap(self, *, tls: str = "plain") -> imaplib.IMAP4:
        """A logged-in imaplib connection ("plain", "starttls" or "ssl")."""
        return self.dovecot.imap(self.name, self.password, tls=tls)


@dataclass
class Dovecot:
    """A running Dovecot (IMAP, IMAPS, LMTP) in `tmp`.

    Users live in one passwd-file per user, `users_dir/<name>` (`name:{PLAIN}password`): Dovecot
    stats a passwd-file at most once a second, so a user appended to one shared file can stay
    unknown for up to a second; a new per-user file is read on the first lookup.
    """

    proc: subprocess.Popen
    tmp: Path
    host: str
    imap_port: int
    imaps_port: int | None
    lmtp_port: int
    tls: TlsFiles | None
    users_dir: Path
    mail_root: Path
    log_path: Path
    oauth_introspection_url: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _seq: int = 0
    _last_us: int = 0

    # -- TLS --------------------------------------------------------------------------------------
    @property
    def cert_path(self) -> Path | None:
        """The certificate clients must trust (our CA's). None when started with ssl=False."""
        return self.tls.ca_path if self.tls else None

    def ssl_context(self) -> ssl.SSLContext:
        if self.tls is None:
            raise RuntimeError("this Dovecot was started with ssl=False")
        return self.tls.client_context()

    # -- users ------------------------------------------------------------------------------------
    def users(self) -> dict[str, str]:
        out = {}
        for path in self.users_dir.iterdir():
            if path.name.startswith("."):
                continue
            line = path.read_text().strip()
            if ":" in line:
                name, pw = line.split(":", 2)[:2]
                out[name] = pw.removeprefix("{PLAIN}")
        return out

    def add_user(self, name: str, password: str) -> None:
        """Add a user; usable at once (IMAP login, LMTP, the relay). Names: lower case, no @ + / : ."""
        if (not name or name != name.lower() or any(c in name for c in ":@+/. \t\n")
                or ":" in password or "\n" in password):
            raise ValueError(f"bad user name or password: {name!r}")
        path = self.users_dir / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(f"{name}:{{PLAIN}}{password}\n")
        tmp.chmod(0o644)
        with self._lock:
            if path.exists():
                tmp.unlink()
                raise ValueError(f"user {name!r} exists")
            os.rename(tmp, path)

    def has_user(self, name: str) -> bool:
        return bool(name) and "/" not in name and not name.startswith(".") and (self.users_dir / name).is_file()

    def new_user(self, prefix: str = "u") -> MailUser:
        """A fresh user with a random name and password (address name@example.test)."""
        name = f"{prefix}{secrets.token_hex(5)}"
        password = secrets.token_urlsafe(12)
        self.add_user(name, password)
        return MailUser(name=name, password=password, address=f"{name}@{MAIL_DOMAIN}", dovecot=self)

    def check_password(self, name: str, password: str) -> bool:
        if not self.has_user(name):
            return False
        pw = (self.users_dir / name).read_text().strip().split(":", 2)[1].removeprefix("{PLAIN}")
        return secrets.compare_digest(pw.encode(), password.encode())

    def maildir(self, user: str) -> Path:
        return self.mail_root / user / "Maildir"

    # -- clients ----------------------------------------------------------------------------------
    def imap(self, user: str | None = None, password: str | None = None, *, tls: str = "plain",
             timeout: float = 10) -> imaplib.IMAP4:
        """An imaplib connection ("plain", "starttls" or "ssl"), logged in when user is given."""
        if tls == "ssl":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(self.host, self.imaps_port, ssl_context=self.ssl_context(),
                                                     timeout=timeout)
        else:
            conn = imaplib.IMAP4(self.host, self.imap_port, timeout=timeout)
            if tls == "starttls":
                conn.starttls(self.ssl_context())
        if user is not None:
            conn.login(user, password or "")
        return conn

    # -- delivery ---------------------------------------------------------------------------------
    def deliver(self, user: str, raw: bytes, *, mail_from: str = "sender@example.org") -> None:
        """Deliver one message over LMTP to user's INBOX (or `user+Folder` to that folder)."""
        rcpt = user if "@" in user else f"{user}@{MAIL_DOMAIN}"
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=10) as lmtp:
            refused = lmtp.sendmail(mail_from, [rcpt], raw)
        if refused:
            raise RuntimeError(f"LMTP refused {refused}")

    def deliver_many_maildir(self, user: str, folder: str, raws: list[bytes], *, seen: bool = False) -> list[Path]:
        """Write messages straight into the user's Maildir (bulk load; thousands per second).

        Files go to `cur/` named `<time>.M<usec>P<pid>Q<n>.<host>,S=<size>:2,[S]` with increasing
        times, so Dovecot gives them UIDs in list order; the mtime (Dovecot's INTERNALDATE) is the
        message's Date header when it has one. Folders are maildir++ (`.Sent`, `.Projects.2024`),
        everything is owned by nobody:nogroup. The user must exist (add_user).
        """
        if not self.has_user(user):
            raise ValueError(f"unknown user {user!r}")
        uid = pwd.getpwnam(MAIL_OWNER).pw_uid
        gid = grp.getgrnam(MAIL_GROUP).gr_gid
        root = self.maildir(user)
        box = _maildir_folder(root, folder)
        for d in (self.mail_root / user, root, box, box / "cur", box / "new", box / "tmp"):
            if not d.exists():
                d.mkdir(mode=0o700)
                os.chown(d, uid, gid)  # at once: a concurrent IMAP session (uid nobody) may look
        if box != root and not (box / "maildirfolder").exists():
            (box / "maildirfolder").touch()
            os.chown(box / "maildirfolder", uid, gid)
        hostname = socket.gethostname().replace("/", "_").replace(":", "_")
        with self._lock:  # file-name times (µs) strictly increase across calls: Dovecot sorts new files by them
            base = max(time.time_ns() // 1000, self._last_us + 1)
            self._last_us = base + len(raws)
            seq0, self._seq = self._seq, self._seq + len(raws)
        written = []
        flags = "S" if seen else ""
        for i, raw in enumerate(raws):
            us = base + i
            name = f"{us // 1_000_000}.M{us % 1_000_000}P{os.getpid()}Q{seq0 + i}.{hostname},S={len(raw)}:2,{flags}"
            tmp = box / "tmp" / name
            tmp.write_bytes(raw)
            mtime = _date_header_timestamp(raw)
            if mtime is not None:
                os.utime(tmp, (mtime, mtime))
            os.chown(tmp, uid, gid)
            final = box / "cur" / name
            os.rename(tmp, final)
            written.append(final)
        return written

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _date_header_timestamp(raw: bytes) -> float | None:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.decode("latin-1").splitlines():
        if line.lower().startswith("date:"):
            try:
                return email.utils.parsedate_to_datetime(line[5:].strip()).timestamp()
            except (TypeError, ValueError, IndexError):
                return None
    return None


_LIBC = None


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the process (thread) that started it dies.

    So a test run killed with SIGKILL leaves no Dovecot behind. Start servers from the main thread:
    Linux sends the signal when the *thread* that forked exits.
    """
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _dovecot_conf(*, tmp: Path, imap_port: int, imaps_port: int | None, lmtp_port: int, tls: TlsFiles | None,
                  users_dir: Path, mail_root: Path, oauth_args: Path | None) -> str:
    mechanisms = "plain login" + (" xoauth2 oauthbearer" if oauth_args else "")
    ssl_block = (f"ssl = yes\nssl_cert = <{tls.cert_path}\nssl_key = <{tls.key_path}\n"
                 if tls else "ssl = no\n")
    imaps = (f"  inet_listener imaps {{\n    address = {HOST}\n    port = {imaps_port}\n    ssl = yes\n  }}\n"
             if imaps_port else "  inet_listener imaps {\n    port = 0\n  }\n")
    mailboxes = "".join(
        f"  mailbox {name} {{\n    special_use = {attr}\n    auto = subscribe\n  }}\n"
        for name, attr in SPECIAL_USE.items())
    oauth_passdb = (f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {oauth_args}\n}}\n"
                    if oauth_args else "")
    return f"""# OpenFyxer test Dovecot (generated by tests/mailservers.py)
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
instance_name = of-dovecot-{tmp.name}
protocols = imap lmtp
listen = {HOST}
{ssl_block}disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_username_format = %Ln
auth_failure_delay = 0
auth_cache_size = 0
auth_verbose = yes
mail_location = maildir:{mail_root}/%u/Maildir
first_valid_uid = 1
imap_capability = +MOVE
lmtp_save_to_detail_mailbox = yes
recipient_delimiter = +
lda_mailbox_autocreate = yes
lda_mailbox_autosubscribe = yes
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {users_dir}/%Ln
{"  mechanisms = plain login none" + chr(10) if oauth_args else ""}}}
{oauth_passdb}userdb {{
  driver = static
  args = uid={MAIL_OWNER} gid={MAIL_GROUP} home={mail_root}/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {imap_port}
  }}
{imaps}}}
# No auth penalty (2-15 s waits after failed logins from one IP): the auth process cannot reach anvil.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {lmtp_port}
  }}
}}
"""


def start_dovecot(*, oauth_introspection_url: str | None = None, ssl: bool = True) -> Dovecot:
    """Start our own Dovecot; see the module docstring. ~0.1-0.3 s."""
    global _LIBC
    binary = _need("dovecot", "dovecot-imapd dovecot-lmtpd")
    if _LIBC is None:  # loaded here, not in the forked child
        import ctypes

        _LIBC = ctypes.CDLL(None, use_errno=True)
    if os.geteuid() != 0:
        raise RuntimeError("start_dovecot runs as root: mail belongs to nobody:nogroup and Dovecot switches to it")
    tmp = Path(tempfile.mkdtemp(prefix="of-dc-"))
    tmp.chmod(0o755)  # the auth process (user dovecot) and login processes must traverse it
    uid = pwd.getpwnam(MAIL_OWNER).pw_uid
    gid = grp.getgrnam(MAIL_GROUP).gr_gid
    mail_root = tmp / "mail"
    mail_root.mkdir()
    os.chown(mail_root, uid, gid)
    users_dir = tmp / "users"
    users_dir.mkdir(mode=0o755)
    tls = make_tls_files(tmp) if ssl else None
    oauth_args = None
    if oauth_introspection_url:
        oauth_args = tmp / "oauth2.conf"
        oauth_args.write_text(
            f"introspection_url = {oauth_introspection_url}\n"
            "introspection_mode = post\n"
            "force_introspection = yes\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n"
        )
        oauth_args.chmod(0o644)
    imap_port, lmtp_port = free_port(), free_port()
    imaps_port = free_port() if ssl else None
    conf = tmp / "dovecot.conf"
    conf.write_text(_dovecot_conf(tmp=tmp, imap_port=imap_port, imaps_port=imaps_port, lmtp_port=lmtp_port,
                                  tls=tls, users_dir=users_dir, mail_root=mail_root, oauth_args=oauth_args))
    log = tmp / "dovecot.log"
    with open(tmp / "stdout.log", "wb") as out:  # config errors land here, before log_path is open
        proc = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent)

    def ready() -> bool:
        for port in (imap_port, lmtp_port, imaps_port):
            if port:
                socket.create_connection((HOST, port), timeout=1).close()
        return True

    try:
        wait_for(ready, 15, "dovecot", proc, tmp / "stdout.log")
    except RuntimeError as error:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"{error}\n{tail}") from None
    return Dovecot(proc=proc, tmp=tmp, host=HOST, imap_port=imap_port, imaps_port=imaps_port, lmtp_port=lmtp_port,
                   tls=tls, users_dir=users_dir, mail_root=mail_root, log_path=log,
                   oauth_introspection_url=oauth_introspection_url)


# --------------------------------------------------------------------------------------------
# OAuth2 authorization server (RFC 6749 code + refresh, RFC 7636 PKCE S256, RFC 7662 introspection)
# --------------------------------------------------------------------------------------------

@dataclass
class OAuthClientReg:
    client_id: str
    client_secret: str | None  # None: public client (no client authentication, PKCE only)
    redirect_uris: list[str]


@dataclass
class _Grant:
    user: str
    client_id: str
    scope: str
    expires_at: float
    kind: str  # "code", "access", "refresh"
    redirect_uri: str | None = None
    code_challenge: str | None = None
    nonce: str | None = None  # OpenID: from the authorization request, echoed in the id_token
    used: bool = False
    refresh_token: str | None = None  # for access tokens: the refresh token that minted them


TOKEN_FAULTS = ("server_error", "invalid_grant", "temporarily_unavailable")


class OAuthProvider:
    """A local OAuth2 provider on http://127.0.0.1:PORT, served by a thread (ThreadingHTTPServer).

    Endpoints: /authorize (auto-approves as `login_as`), /token (authorization_code with PKCE S256,
    refresh_token), /introspect (RFC 7662, no client auth required: Dovecot calls it), /revoke
    (RFC 7009), /userinfo (Bearer), /jwks, /.well-known/oauth-authorization-server and
    /.well-known/openid-configuration (metadata).

    As an OpenID provider does, it adds an RS256-signed id_token to the answer for a code whose
    scope holds "openid", with the `email` and `email_verified` claims when the scope holds "email";
    the signing key is made at start and published at /jwks.
    """

    def __init__(self) -> None:
        self._httpd = ThreadingHTTPServer((HOST, 0), _make_oauth_handler(self))
        self._httpd.daemon_threads = True
        self.host = HOST
        self.port = self._httpd.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        self.issuer = self.url
        self.authorize_url = self.url + "/authorize"
        self.token_url = self.url + "/token"
        self.introspect_url = self.url + "/introspect"
        self.revoke_url = self.url + "/revoke"
        self.userinfo_url = self.url + "/userinfo"
        self.jwks_url = self.url + "/jwks"
        self.metadata_url = self.url + "/.well-known/oauth-authorization-server"
        self.login_as: str | None = None     # the user who "approves" at /authorize; None -> access_denied
        self.access_ttl: float = 3600        # seconds; tests make it small to see expiry
        self.refresh_ttl: float | None = None  # None: refresh tokens never expire
        self.code_ttl: float = 60
        self.rotate_refresh_tokens = False   # True: each refresh returns a new refresh token, old one dies
        self.require_pkce = True
        self.email_domain = MAIL_DOMAIN      # addresses are login_as@email_domain, as the provider spells them
        self._signing_key = _new_rsa_key()
        self.key_id = secrets.token_hex(8)
        self._token_fault: str | None = None  # one-shot failure of the next /token call (TOKEN_FAULTS)
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, form/query params; secrets kept)
        self.clients: dict[str, OAuthClientReg] = {}
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.RLock()
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="oauth-provider", daemon=True)
        self._thread.start()

    # -- configuration ----------------------------------------------------------------------------
    @property
    def token_fault(self) -> str | None:
        """One-shot failure of the next /token call: "server_error" (500), "temporarily_unavailable"
        (503 + Retry-After) or "invalid_grant" (400, as when the user revoked access)."""
        return self._token_fault

    @token_fault.setter
    def token_fault(self, value: str | None) -> None:
        if value is not None and value not in TOKEN_FAULTS:
            raise ValueError(f"unknown token fault {value!r}; one of {TOKEN_FAULTS}")
        self._token_fault = value

    def register_client(self, client_id: str, client_secret: str | None, redirect_uris: list[str]) -> OAuthClientReg:
        reg = OAuthClientReg(client_id, client_secret, list(redirect_uris))
        with self._lock:
            self.clients[client_id] = reg
        return reg

    def reset(self) -> None:
        """Per-test defaults (clients and tokens stay)."""
        self.login_as = None
        self.access_ttl = 3600
        self.refresh_ttl = None
        self.rotate_refresh_tokens = False
        self.require_pkce = True
        self.email_domain = MAIL_DOMAIN
        self.token_fault = None

    # -- tokens -----------------------------------------------------------------------------------
    def issue_tokens(self, user: str, client_id: str = "direct", scope: str = "mail") -> dict:
        """Mint an access + refresh token without the browser dance (the /token response body)."""
        with self._lock:
            return self._token_response(user, client_id, scope)

    def _new(self, grant: _Grant) -> str:
        token = secrets.token_urlsafe(32)
        self._grants[token] = grant
        return token

    def _token_response(self, user: str, client_id: str, scope: str, refresh: str | None = None) -> dict:
        now = time.time()
        if refresh is None:
            exp = now + self.refresh_ttl if self.refresh_ttl is not None else float("inf")
            refresh = self._new(_Grant(user, client_id, scope, exp, "refresh"))
        access = self._new(_Grant(user, client_id, scope, now + self.access_ttl, "access", refresh_token=refresh))
        return {"access_token": access, "token_type": "Bearer", "expires_in": int(self.access_ttl),
                "refresh_token": refresh, "scope": scope}

    def id_token(self, grant: _Grant) -> str:
        """The OpenID id_token for a code grant (OpenID Connect Core 2), signed RS256."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": grant.user, "aud": grant.client_id, "iat": now,
                                  "exp": now + 600}
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if "email" in grant.scope.split():
            claims |= {"email": f"{grant.user}@{self.email_domain}", "email_verified": True}
        header = {"alg": "RS256", "typ": "JWT", "kid": self.key_id}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self._signing_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def jwks(self) -> dict:
        """The public key that checks the id_tokens (RFC 7517)."""
        numbers = self._signing_key.public_key().public_numbers()

        def as_bytes(i: int) -> bytes:
            return i.to_bytes((i.bit_length() + 7) // 8, "big")

        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.key_id,
                          "n": _b64url(as_bytes(numbers.n)), "e": _b64url(as_bytes(numbers.e))}]}

    def introspect(self, token: str) -> dict:
        """The RFC 7662 answer for token (only live access tokens are active)."""
        with self._lock:
            g = self._grants.get(token)
            if g is None or g.kind != "access" or g.expires_at <= time.time():
                return {"active": False}
            return {"active": True, "username": g.user, "sub": g.user, "email": f"{g.user}@{self.email_domain}",
                    "client_id": g.client_id, "scope": g.scope, "token_type": "Bearer",
                    "exp": int(g.expires_at), "iss": self.issuer}

    def revoke(self, token: str) -> None:
        """Revoke a token; revoking a refresh token also kills the access tokens it minted."""
        with self._lock:
            g = self._grants.pop(token, None)
            if g is not None and g.kind == "refresh":
                for t in [t for t, a in self._grants.items() if a.refresh_token == token]:
                    del self._grants[t]

    def revoke_user(self, user: str) -> None:
        with self._lock:
            for t in [t for t, g in self._grants.items() if g.user == user]:
                del self._grants[t]

    def expire(self, token: str) -> None:
        """Make one token expire now (access, refresh or code)."""
        with self._lock:
            if token in self._grants:
                self._grants[token].expires_at = time.time() - 1

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    # -- endpoint logic (called from the HTTP handler thread) --------------------------------------
    def _authorize(self, q: dict[str, str]) -> tuple[int, dict, dict | str]:
        client = self.clients.get(q.get("client_id", ""))
        if client is None:
            return 400, {}, {"error": "invalid_client", "error_description": "unknown client_id"}
        redirect_uri = q.get("redirect_uri")
        if redirect_uri is None:
            if len(client.redirect_uris) != 1:
                return 400, {}, {"error": "invalid_request", "error_description": "redirect_uri required"}
            target = client.redirect_uris[0]
        elif redirect_uri in client.redirect_uris:
            target = redirect_uri
        else:  # never redirect to an unregistered URI
            return 400, {}, {"error": "invalid_request", "error_description": "redirect_uri not registered"}
        state = q.get("state")

        def back(params: dict) -> tuple[int, dict, str]:
            if state is not None:
                params["state"] = state
            params["iss"] = self.issuer  # RFC 9207
            parts = urlsplit(target)
            query = (parts.query + "&" if parts.query else "") + urlencode(params)
            return 302, {"Location": urlunsplit(parts._replace(query=query))}, ""

        if q.get("response_type") != "code":
            return back({"error": "unsupported_response_type"})
        challenge, method = q.get("code_challenge"), q.get("code_challenge_method", "plain")
        if challenge is None and self.require_pkce:
            return back({"error": "invalid_request", "error_description": "PKCE code_challenge required"})
        if challenge is not None and method != "S256":
            return back({"error": "invalid_request", "error_description": "only code_challenge_method=S256"})
        if self.login_as is None:
            return back({"error": "access_denied", "error_description": "no test user is logged in"})
        code = self._new(_Grant(self.login_as, client.client_id, q.get("scope", ""), time.time() + self.code_ttl,
                                "code", redirect_uri=redirect_uri, code_challenge=challenge, nonce=q.get("nonce")))
        return back({"code": code})

    def _client_auth(self, headers: Any, form: dict[str, str]) -> OAuthClientReg | None:
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            from urllib.parse import unquote_plus
            try:
                raw = base64.b64decode(auth[6:].strip()).decode()
                cid, secret = (unquote_plus(p) for p in raw.split(":", 1))
            except (ValueError, UnicodeDecodeError):
                return None
        client = self.clients.get(cid or "")
        if client is None:
            return None
        if client.client_secret is None:
            return client if not secret else None
        if secret is None or not secrets.compare_digest(secret.encode(), client.client_secret.encode()):
            return None
        return client

    def _token(self, headers: Any, form: dict[str, str]) -> tuple[int, dict, dict]:
        fault, self._token_fault = self._token_fault, None
        if fault == "server_error":
            return 500, {}, {"error": "server_error"}
        if fault == "temporarily_unavailable":
            return 503, {"Retry-After": "1"}, {"error": "temporarily_unavailable"}
        if fault == "invalid_grant":
            return 400, {}, {"error": "invalid_grant", "error_description": "injected"}
        client = self._client_auth(headers, form)
        if client is None:
            return 401, {"WWW-Authenticate": 'Basic realm="token"'}, {"error": "invalid_client"}
        grant_type = form.get("grant_type")
        now = time.time()
        if grant_type == "authorization_code":
            code = form.get("code", "")
            g = self._grants.get(code)
            if g is None or g.kind != "code" or g.client_id != client.client_id or g.expires_at <= now:
                return 400, {}, {"error": "invalid_grant", "error_description": "bad or expired code"}
            if g.used:  # RFC 6749 4.1.2: a code used twice revokes what it issued
                self.revoke_user(g.user)
                return 400, {}, {"error": "invalid_grant", "error_description": "code already used"}
            g.used = True
            if g.redirect_uri is not None and form.get("redirect_uri") != g.redirect_uri:
                return 400, {}, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"}
            if g.code_challenge is not None:
                verifier = form.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if not verifier or not secrets.compare_digest(digest, g.code_challenge):
                    return 400, {}, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
            body = self._token_response(g.user, client.client_id, g.scope)
            if "openid" in g.scope.split():
                body["id_token"] = self.id_token(g)
            return 200, {}, body
        if grant_type == "refresh_token":
            rt = form.get("refresh_token", "")
            g = self._grants.get(rt)
            if g is None or g.kind != "refresh" or g.client_id != client.client_id or g.expires_at <= now:
                return 400, {}, {"error": "invalid_grant", "error_description": "bad or expired refresh token"}
            scope = form.get("scope") or g.scope
            if not set(scope.split()) <= set(g.scope.split()):
                return 400, {}, {"error": "invalid_scope"}
            if self.rotate_refresh_tokens:
                self.revoke(rt)
                return 200, {}, self._token_response(g.user, client.client_id, scope)
            body = self._token_response(g.user, client.client_id, scope, refresh=rt)
            return 200, {}, body
        return 400, {}, {"error": "unsupported_grant_type"}

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer, "authorization_endpoint": self.authorize_url, "token_endpoint": self.token_url,
            "introspection_endpoint": self.introspect_url, "revocation_endpoint": self.revoke_url,
            "userinfo_endpoint": self.userinfo_url, "jwks_uri": self.jwks_url, "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "scopes_supported": ["openid", "email", "mail", "offline_access"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["iss", "sub", "aud", "iat", "exp", "nonce", "email", "email_verified"],
        }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _new_rsa_key():  # noqa: ANN202
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _make_oauth_handler(provider: OAuthProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "OpenFyxerTestOAuth/1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                out = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _send(self, status: int, headers: dict, body: dict | str) -> None:
            data = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
            self.send_response(status)
            if isinstance(body, dict):
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "no-store")
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            q = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            provider.requests.append(("GET", parts.path, q))
            with provider._lock:
                if parts.path == "/authorize":
                    return self._send(*provider._authorize(q))
                if parts.path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
                    return self._send(200, {}, provider.metadata())
                if parts.path == "/jwks":
                    return self._send(200, {}, provider.jwks())
                if parts.path == "/userinfo":
                    auth = self.headers.get("Authorization", "")
                    info = provider.introspect(auth[7:].strip()) if auth.lower().startswith("bearer ") else {}
                    if not info.get("active"):
                        return self._send(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                                          {"error": "invalid_token"})
                    return self._send(200, {}, {"sub": info["sub"], "email": info["email"],
                                                "email_verified": True, "preferred_username": info["username"]})
            self._send(404, {}, {"error": "not_found"})

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            raw = self._body().decode("utf-8", "replace")
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            provider.requests.append(("POST", parts.path, form))
            with provider._lock:
                if parts.path == "/token":
                    return self._send(*provider._token(self.headers, form))
                if parts.path == "/introspect":
                    return self._send(200, {}, provider.introspect(form.get("token", "")))
                if parts.path == "/revoke":
                    provider.revoke(form.get("token", ""))
                    return self._send(200, {}, "")
            self._send(404, {}, {"error": "not_found"})

    return Handler


def start_oauth_provider() -> OAuthProvider:
    provider = OAuthProvider()
    import urllib.request

    wait_for(lambda: urllib.request.urlopen(provider.metadata_url, timeout=1).status == 200, 10, "oauth provider")
    return provider


# --------------------------------------------------------------------------------------------
# SMTP relay (aiosmtpd): AUTH, delivery into Dovecot over LMTP, fault injection
# --------------------------------------------------------------------------------------------

SMTP_FAULTS = ("connect", "rcpt_4xx", "rcpt_5xx", "data_4xx", "data_5xx", "after_data", "after_reply")


def _sasl_bearer(blob: bytes) -> tuple[str, str] | None:
    """(user, token) from an XOAUTH2 or OAUTHBEARER initial response."""
    text = blob.decode("utf-8", "replace")
    user = token = None
    if text.startswith(("n,", "y,", "p=")):  # OAUTHBEARER (RFC 7628): gs2 header "n,a=user,"
        header, _, text = text.partition("\x01")
        for part in header.split(","):
            if part.startswith("a="):
                user = part[2:].replace("=2C", ",").replace("=3D", "=")
    for part in text.split("\x01"):
        if part.startswith("user="):
            user = part[5:]
        elif part.lower().startswith("auth=bearer "):
            token = part[12:].strip()
    return (user, token) if user and token else None


class SmtpRelay:
    """aiosmtpd on 127.0.0.1: `port` (plain, STARTTLS offered) and `tls_port` (implicit TLS).

    AUTH is required: PLAIN/LOGIN against the Dovecot passwd-files, XOAUTH2/OAUTHBEARER against the
    OAuth provider's introspection endpoint (when oauth_introspection_url is given). Every
    recipient `user[+detail]@any.domain` whose `user` exists in Dovecot gets the message over LMTP
    (others: 550 at RCPT). With `save_sent = True` the sender's copy goes to `<auth user>+Sent`.

    `fault` (one of SMTP_FAULTS) applies once, to the first connection/command it fits, then
    resets to None. `delivered` lists (mail_from, rcpt_tos, raw bytes) of each message handed to
    Dovecot.
    """

    def __init__(self, dovecot: Dovecot, *, oauth_introspection_url: str | None = None,
                 auth_require_tls: bool = True) -> None:
        self.dovecot = dovecot
        self.host = HOST
        self.oauth_introspection_url = oauth_introspection_url
        self.auth_require_tls = auth_require_tls
        self.save_sent = False
        self.delivered: list[tuple[str, list[str], bytes]] = []
        self.auth_log: list[tuple[str, str, bool]] = []  # (mechanism, user, success)
        self._fault: str | None = None
        self._lock = threading.Lock()
        self.port = 0
        self.tls_port = 0
        self._controllers: list = []

    # -- fault injection --------------------------------------------------------------------------
    @property
    def fault(self) -> str | None:
        return self._fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        if value is not None and value not in SMTP_FAULTS:
            raise ValueError(f"unknown fault {value!r}; one of {SMTP_FAULTS}")
        with self._lock:
            self._fault = value

    def _take_fault(self, *names: str) -> str | None:
        with self._lock:
            if self._fault in names:
                fault, self._fault = self._fault, None
                return fault
        return None

    def reset(self) -> None:
        with self._lock:
            self._fault = None
            self.save_sent = False
            self.delivered.clear()
            self.auth_log.clear()

    # -- TLS --------------------------------------------------------------------------------------
    @property
    def cert_path(self) -> Path | None:
        return self.dovecot.cert_path

    def ssl_context(self) -> ssl.SSLContext:
        return self.dovecot.ssl_context()

    # -- checks used by the SMTP session ------------------------------------------------------------
    def local_user(self, address: str) -> str | None:
        local = address.rsplit("@", 1)[0].split("+", 1)[0].lower()
        return local if self.dovecot.has_user(local) else None

    def introspect(self, token: str) -> dict:
        if not self.oauth_introspection_url:
            return {"active": False}
        import urllib.request

        req = urllib.request.Request(self.oauth_introspection_url, data=urlencode({"token": token}).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read())
        except (OSError, ValueError):
            return {"active": False}

    def _deliver(self, mail_from: str, rcpt_tos: list[str], raw: bytes, auth_user: str | None) -> None:
        targets = [f"{rcpt.rsplit('@', 1)[0]}@{MAIL_DOMAIN}" for rcpt in rcpt_tos]
        if self.save_sent and auth_user:
            targets.append(f"{auth_user}+Sent@{MAIL_DOMAIN}")
        for target in targets:
            self.dovecot.deliver(target, raw, mail_from=mail_from or "<>")
        self.delivered.append((mail_from, list(rcpt_tos), raw))

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> SmtpRelay:
        from aiosmtpd.controller import Controller

        relay = self
        server_ctx = self.dovecot.tls.server_context() if self.dovecot.tls else None

        class RelayController(Controller):
            def factory(self):
                # hostname (the greeting name) is passed here: Controller's own `hostname` is the bind address.
                return _relay_smtp_class()(self.handler, relay=relay, hostname="localhost", **self.SMTP_kwargs)

        common = dict(auth_required=True, authenticator=self._authenticator, enable_SMTPUTF8=True, timeout=60)
        plain = RelayController(_RelayHandler(self), hostname=HOST, port=free_port(), ready_timeout=10,
                                tls_context=server_ctx,
                                of_auth_require_tls=self.auth_require_tls and server_ctx is not None, **common)
        plain.start()
        self._controllers.append(plain)
        self.port = plain.port
        if server_ctx is not None:
            implicit = RelayController(_RelayHandler(self), hostname=HOST, port=free_port(), ready_timeout=10,
                                       ssl_context=server_ctx, of_auth_require_tls=False, **common)
            implicit.start()
            self._controllers.append(implicit)
            self.tls_port = implicit.port
        return self

    def stop(self) -> None:
        for controller in self._controllers:
            controller.stop(no_assert=True)
        self._controllers.clear()

    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        login = auth_data.login.decode("utf-8", "replace")
        user = login.rsplit("@", 1)[0].lower() if login.lower().endswith("@" + MAIL_DOMAIN) else login.lower()
        ok = self.dovecot.check_password(user, auth_data.password.decode("utf-8", "replace"))
        self.auth_log.append((mechanism, user, ok))
        return AuthResult(success=True, auth_data=user) if ok else AuthResult(success=False, handled=False)


class _RelayHandler:
    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options: list[str]) -> str:
        fault = self.relay._take_fault("rcpt_4xx", "rcpt_5xx")
        if fault == "rcpt_4xx":
            return "451 4.3.0 Temporary failure (injected rcpt_4xx)"
        if fault == "rcpt_5xx":
            return "550 5.7.1 Recipient refused (injected rcpt_5xx)"
        if self.relay.local_user(address) is None:
            return f"550 5.1.1 <{address}>: no such user here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        fault = self.relay._take_fault("data_4xx", "data_5xx", "after_data", "after_reply")
        if fault == "data_4xx":
            return "451 4.3.0 Try again later (injected data_4xx)"
        if fault == "data_5xx":
            return "554 5.6.0 Message refused (injected data_5xx)"
        raw = envelope.original_content or b""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self.relay._deliver, envelope.mail_from, list(envelope.rcpt_tos), raw,
                                       session.auth_data)
        except Exception as error:  # Dovecot said no: tell the client to retry
            return f"451 4.3.0 Local delivery failed: {type(error).__name__}"
        if fault == "after_data":
            server.of_drop_next_reply = True
        elif fault == "after_reply":
            server.of_close_after_reply = True
        return f"250 2.0.0 OK queued as {secrets.token_hex(6)}"

    async def _bearer(self, server, args: list[str], mechanism: str):
        from aiosmtpd.smtp import MISSING, AuthResult

        if len(args) > 1:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except ValueError:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        else:
            blob = await server.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        parsed = _sasl_bearer(blob)
        user = None
        if parsed:
            login, token = parsed
            login = login.lower()
            login = login.rsplit("@", 1)[0] if login.endswith("@" + MAIL_DOMAIN) else login
            info = await asyncio.get_running_loop().run_in_executor(None, self.relay.introspect, token)
            if info.get("active") is True and str(info.get("username", "")).lower() == login:
                user = login
        self.relay.auth_log.append((mechanism, parsed[0] if parsed else "", user is not None))
        if user is not None:
            return AuthResult(success=True, auth_data=user)
        # RFC 7628 / Gmail: an error challenge, the client answers with an empty line (or \x01), then 535.
        error = json.dumps({"status": "401", "schemes": "Bearer", "scope": "mail"})
        if await server.challenge_auth(error) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")

    async def auth_XOAUTH2(self, server, args: list[str]):
        return await self._bearer(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server, args: list[str]):
        return await self._bearer(server, args, "OAUTHBEARER")


_RELAY_SMTP_CLASS = None


def _relay_smtp_class():
    """aiosmtpd's SMTP with the connection-level faults (built lazily: aiosmtpd is a test extra)."""
    global _RELAY_SMTP_CLASS
    if _RELAY_SMTP_CLASS is not None:
        return _RELAY_SMTP_CLASS
    from aiosmtpd.smtp import SMTP, Session

    class RelaySession(Session):
        # aiosmtpd 1.4 sets the deprecated login_data on every AUTH and logs a warning each time.
        @property
        def login_data(self) -> Any:
            return self._login_data

        @login_data.setter
        def login_data(self, value: Any) -> None:
            self._login_data = value

    class RelaySMTP(SMTP):
        def __init__(self, handler, *, relay: SmtpRelay, of_auth_require_tls: bool, **kwargs):
            # Built with auth_require_tls=True (aiosmtpd warns otherwise), then set to what we want:
            # the implicit-TLS port is TLS without STARTTLS, which aiosmtpd would not count.
            super().__init__(handler, auth_require_tls=True, **kwargs)
            self._auth_require_tls = of_auth_require_tls
            self.relay = relay
            self.of_drop_next_reply = False
            self.of_close_after_reply = False

        def _create_session(self) -> Session:
            return RelaySession(self.loop)

        def connection_made(self, transport) -> None:
            starttls = self._original_transport is not None
            super().connection_made(transport)
            if not starttls and self.relay._take_fault("connect"):
                # Close before the 220 greeting: the client sees EOF right after connecting.
                self._handler_coroutine.cancel()
                transport.abort()

        async def push(self, status) -> None:
            if self.of_drop_next_reply:  # after_data: the message is delivered, the 250 never leaves
                self.of_drop_next_reply = False
                self.transport.abort()
                return
            await super().push(status)
            if self.of_close_after_reply:  # after_reply: 250 sent, then the line goes dead before QUIT
                self.of_close_after_reply = False
                self.transport.close()

    _RELAY_SMTP_CLASS = RelaySMTP
    return RelaySMTP


def start_smtp_relay(dovecot: Dovecot, *, oauth_introspection_url: str | None = None,
                     auth_require_tls: bool = True) -> SmtpRelay:
    """Start the relay (two aiosmtpd Controller threads; ~0.05 s). See SmtpRelay."""
    return SmtpRelay(dovecot, oauth_introspection_url=oauth_introspection_url,
                     auth_require_tls=auth_require_tls).start()
