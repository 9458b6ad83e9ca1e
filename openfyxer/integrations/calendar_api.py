"""What the JSON calendar APIs (Google Calendar v3, Microsoft Graph v1.0) share: their errors, a
calendar as the user sees it, one bearer-token client pinned to the API's server, and time zone names.

The API base is configurable only so that tests can aim it at a local server; whatever it is, it
goes through the outbound policy, and the session is pinned to the address that was checked. Links
the server hands back (next pages, delta links) are followed only on that same server: the bearer
token must never travel to a host the server names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from openfyxer.core.errors import OpenFyxerError
from openfyxer.integrations import retry_after as http_retry
from openfyxer.security import outbound

MAX_PAGES = 500  # a server that hands out next pages forever stops here, not in an endless loop
DEFAULT_RETRY_AFTER = 60  # seconds, when a rate limit comes without Retry-After
MAX_RETRY_AFTER = 86_400  # a server asking for more than a day is asked again tomorrow
_UTC_NAMES = {"UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z", "ZULU", "UNIVERSAL", "ETC/UNIVERSAL", "TZONE://MICROSOFT/UTC"}


class CalendarApiError(OpenFyxerError):
    """The calendar provider's API failed or answered something unexpected."""

    status = 502
    code = "calendar_error"


class CalendarAuthError(CalendarApiError):
    """The calendar provider refused the access token."""

    status = 400
    code = "calendar_auth_failed"


class CalendarRateLimited(CalendarApiError):
    """The calendar provider asks to slow down; `retry_after` says for how many seconds."""

    status = 503
    code = "calendar_rate_limited"

    def __init__(self, message: str = "", *, retry_after: int = DEFAULT_RETRY_AFTER):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class EtagConflict(CalendarApiError):
    """The event changed on the provider since it was read (412, or Graph's 409 change-key conflict)."""

    status = 409
    code = "calendar_conflict"


class EventGone(CalendarApiError):
    """The event a write names is no longer on the provider (404 or 410 to a change or a delete)."""

    status = 404
    code = "calendar_event_gone"


class CalendarReadOnly(CalendarApiError):
    """The provider refused a change: the user may read this calendar but not write to it."""

    status = 422
    code = "calendar_read_only"


class SyncTokenExpired(CalendarApiError):
    """The provider no longer knows the sync token or delta link: a full sync is needed."""

    code = "calendar_sync_token_expired"


@dataclass(frozen=True)
class RemoteCalendar:
    id: str
    name: str
    color: str | None  # "#rrggbb" when the provider gives one
    writable: bool
    primary: bool


def iana(name: str | None) -> str | None:
    """The IANA name of a zone the API named (Graph may use Windows names); None for UTC or unknown."""
    if not name:
        return None
    name = WINDOWS_TO_OLSON.get(name, name)
    if name.upper() in _UTC_NAMES:
        return None
    try:
        return ZoneInfo(name).key
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def tzinfo_of(name: str | None) -> tzinfo | None:
    """The zone a naive time is written in: UTC for no name or a UTC name, None for a name nobody knows."""
    if not name or WINDOWS_TO_OLSON.get(name, name).upper() in _UTC_NAMES:
        return UTC
    known = iana(name)
    return ZoneInfo(known) if known else None


def utc_text(name: str, value: datetime) -> str:
    """An aware datetime as the APIs take it in a query: RFC 3339 in UTC."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a datetime with a time zone, got {value!r}")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Client:
    """JSON from one API with a bearer token; use as a context manager."""

    def __init__(self, api_base: str, access_token: str, timeout: float, provider: str):
        self.base = api_base.rstrip("/")
        self.provider = provider
        self.timeout = timeout
        self.target = outbound.url_target(self.base, purpose=f"{provider} API")
        self.http = requests.Session()
        self.http.trust_env = False  # a proxy would resolve the name itself, past the policy's check
        adapter = outbound.PinnedAdapter(self.target, max_retries=0)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.http.headers.update({"Authorization": f"Bearer {access_token}", "Accept": "application/json"})

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def link(self, url: str) -> str:
        """A URL the server gave (next page, delta link), refused unless it is on the API's own server."""
        base = urlsplit(self.base)
        if _origin(url) != _origin(self.base):
            raise outbound.OutboundRefused(
                f"the {self.provider} API gave a link to another server than {base.hostname}: "
                "the access token is not sent there")
        outbound.url_target(url, purpose=f"{self.provider} API")
        return url

    def get(self, url: str, what: str, *, params: dict | None = None, headers: dict | None = None,
            expired_codes: tuple[str, ...] = (), rate_codes: tuple[str, ...] = ()) -> dict:
        """The JSON object at `url`; the API's errors as ours (`expired_codes` and `rate_codes`: the
        provider's error codes or reasons that mean SyncTokenExpired / CalendarRateLimited)."""
        return self._call("GET", url, what, params=params, headers=headers, expired_codes=expired_codes,
                          rate_codes=rate_codes)

    def post(self, url: str, what: str, *, body: dict, headers: dict | None = None,
             rate_codes: tuple[str, ...] = ()) -> dict:
        """The JSON answer to a query POSTed as JSON (free/busy), the API's errors as ours."""
        return self._call("POST", url, what, json=body, headers=headers, rate_codes=rate_codes)

    def write(self, method: str, url: str, what: str, *, body: dict | None = None, etag: str | None = None,
              params: dict | None = None, headers: dict | None = None, rate_codes: tuple[str, ...] = (),
              conflict_codes: tuple[str, ...] = ()) -> dict:
        """A change (POST, PATCH, DELETE) to one event; with `etag`, only while the event still carries it.
        The answer's JSON ({} for 204). EtagConflict when it changed meanwhile (412, or one of
        `conflict_codes`), EventGone when it is not there, CalendarReadOnly when writing is refused."""
        if etag:
            headers = {**(headers or {}), "If-Match": etag}
        return self._call(method, url, what, params=params, json=body, headers=headers, rate_codes=rate_codes,
                          conflict_codes=conflict_codes)

    def _call(self, method: str, url: str, what: str, *, params: dict | None = None, json: dict | None = None,
              headers: dict | None = None, expired_codes: tuple[str, ...] = (),
              rate_codes: tuple[str, ...] = (), conflict_codes: tuple[str, ...] = ()) -> dict:
        try:
            response = self.http.request(method, url, params=params, json=json, headers=headers,
                                         timeout=self.timeout, allow_redirects=False)
        except (outbound.OutboundRefused, outbound.HostNotFound):
            raise
        except requests.RequestException as e:
            raise CalendarApiError(f"the {self.provider} API cannot be reached ({what}): {type(e).__name__}") from e
        with response:
            if response.status_code >= 300:
                if method != "GET":
                    raise self._write_error(response, what, rate_codes, conflict_codes)
                raise self._error(response, what, expired_codes, rate_codes)
            if response.status_code == 204 or not response.content:
                return {}
            try:
                body = response.json()
            except ValueError as e:
                raise CalendarApiError(f"the {self.provider} API answered with what is not JSON ({what})") from e
        if not isinstance(body, dict):
            raise CalendarApiError(f"the {self.provider} API answered with something unexpected ({what})")
        return body

    def _write_error(self, response: requests.Response, what: str, rate_codes: tuple[str, ...],
                     conflict_codes: tuple[str, ...]) -> CalendarApiError:
        status = response.status_code
        _, codes = _error_body(response)
        if status == 412 or codes & {c.lower() for c in conflict_codes}:
            return EtagConflict(f"the event was changed in {self.provider} meanwhile ({what})")
        if status in (404, 410):
            return EventGone(f"the event is no longer in {self.provider} ({what})")
        if status == 403 and not codes & {c.lower() for c in rate_codes}:
            return CalendarReadOnly(f"{self.provider} does not let this account change this calendar ({what})")
        return self._error(response, what, (), rate_codes)

    def _error(self, response: requests.Response, what: str, expired_codes: tuple[str, ...],
               rate_codes: tuple[str, ...]) -> CalendarApiError:
        status = response.status_code
        message, codes = _error_body(response)
        wait = response.headers.get("Retry-After")
        if status == 410 or codes & {c.lower() for c in expired_codes}:
            return SyncTokenExpired(f"the {self.provider} API no longer knows where the last sync stopped")
        if status == 401:
            return CalendarAuthError(f"the {self.provider} API refused the access token ({what})")
        if status == 429 or (status == 403 and codes & {c.lower() for c in rate_codes}) or (status == 503 and wait):
            return CalendarRateLimited(f"the {self.provider} API asks to slow down ({what}); the sync retries later",
                                       retry_after=retry_after(wait))
        detail = f": {message[:300]}" if message else ""
        return CalendarApiError(f"the {self.provider} API failed to {what} (HTTP {status}){detail}")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
    except ValueError:  # a port that is no number matches nothing
        return scheme, "", -1
    return scheme, (parts.hostname or "").rstrip("."), port


def _error_body(response: requests.Response) -> tuple[str, set[str]]:
    """(message, lower-case codes) of a Google or Graph error: Google names reasons in
    error.errors[].reason and error.status, Graph names one code in error.code."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return "", set()
    if not isinstance(error, dict):
        return "", set()
    codes = {error.get("code"), error.get("status")}
    codes |= {e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)}
    message = error.get("message")
    return (message if isinstance(message, str) else ""), {c.lower() for c in codes if isinstance(c, str)}


def retry_after(value: str | None) -> int:
    """Whole seconds to wait from a Retry-After header; a default when it gives none."""
    wait = http_retry.seconds(value)
    return DEFAULT_RETRY_AFTER if wait is None else min(MAX_RETRY_AFTER, max(1, math.ceil(wait)))