"""CalDAV servers (Nextcloud, Fastmail, iCloud, Radicale, Baikal) through the `caldav` library.

The library does discovery, sign-in and the WebDAV reports; this module turns its answers into
plain values and its errors into ours, and does the writes itself with explicit preconditions
(`If-Match` on an update or delete, `If-None-Match: *` on a create) so a change made on the server
in between is never overwritten: the server answers 412 and the caller re-reads.

Every address goes through the outbound policy: the library's requests session gets the policy's
pinned adapter, so it connects to the address that was checked (a DNS answer that changed since,
rebinding, is never used) and a redirect to another name is stopped. `caldav` 3 prefers niquests,
whose urllib3-future replaces urllib3 for every library in the process (Schemathesis broke on
it); `make` installs caldav without its dependencies so requests is used.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from openfyxer.core.errors import OpenFyxerError
from openfyxer.security import outbound

log = logging.getLogger(__name__)


class CalDavError(OpenFyxerError):
    """The calendar server failed or answered something unexpected."""

    status = 502
    code = "calendar_error"


class CalDavAuthError(CalDavError):
    """The calendar server refused the user name or password."""

    status = 400
    code = "calendar_auth_failed"


class CalDavUnreachable(CalDavError):
    """The calendar server cannot be reached."""

    status = 400
    code = "calendar_unreachable"


class CalDavConflict(CalDavError):
    """The event changed on the server since it was read (412): the server's copy wins."""

    status = 409
    code = "calendar_conflict"


class CalDavRateLimited(CalDavError):
    """The calendar server asks to slow down (429/503)."""

    status = 503
    code = "calendar_rate_limited"


class SyncTokenExpired(CalDavError):
    """The server no longer knows the sync token: a full sync is needed."""

    code = "calendar_sync_token_expired"


# Our own errors (the policy's refusals, a URL without a host, one already wrapped) pass through as
# they are: they say why better than a wrapped one.
OURS = (OpenFyxerError,)


@dataclass(frozen=True)
class CalDavConfig:
    url: str
    username: str
    password: str
    timeout: float = 20.0


@dataclass(frozen=True)
class RemoteCalendar:
    url: str
    name: str
    color: str | None


@dataclass(frozen=True)
class RemoteObject:
    href: str  # the path on the server, unquoted: one spelling whatever the server returns
    etag: str | None
    data: str


@dataclass(frozen=True)
class Changes:
    token: str | None
    changed: list[RemoteObject]
    deleted: list[str]  # hrefs


def href_of(url: str) -> str:
    return unquote(urlsplit(str(url)).path)


# How each server asked us to sign in, learned from its first 401. Without it every client made
# here (one per sync, write or look-up) first asks unauthenticated, and servers that slow down
# refused requests (Radicale waits about a second on each) make that round trip the sync's cost.
_AUTH_TYPES: dict[tuple[str, str], str] = {}


@contextmanager
def _client(cfg: CalDavConfig):  # noqa: ANN202
    import caldav  # lazily: it pulls lxml and its compatibility tables, which the web process rarely needs

    target = outbound.url_target(cfg.url, purpose="calendar server")
    key = (cfg.url, cfg.username)
    client = caldav.DAVClient(url=cfg.url, username=cfg.username, password=cfg.password, timeout=int(cfg.timeout),
                              auth_type=_AUTH_TYPES.get(key))
    if target.address != target.host:
        adapter = outbound.PinnedAdapter(target)
        for prefix in ("http://", "https://"):
            client.session.mount(prefix, adapter)
        client.session.trust_env = False  # a proxy would resolve the name itself, past the check
    with client:
        try:
            yield client
        finally:
            # Only what the server itself asked for, and only where it is sent ahead of a challenge
            # (digest needs the server's nonce first, so it gains nothing from being known).
            learned = {"HTTPBasicAuth": "basic", "HTTPBearerAuth": "bearer"}.get(type(client.auth).__name__)
            if learned:
                _AUTH_TYPES[key] = learned


def _wrap(e: Exception, what: str) -> CalDavError:
    from caldav.lib import error

    if isinstance(e, CalDavError):
        return e
    text = str(e)
    if isinstance(e, error.AuthorizationError) and ("401" in text or "Unauthorized" in text):
        return CalDavAuthError(f"the calendar server refused the user name or password ({what})")
    if isinstance(e, error.RateLimitError) or " 429" in text:
        return CalDavRateLimited(f"the calendar server asks to slow down ({what}); the sync retries later")
    if isinstance(e, error.DAVError):
        return CalDavError(f"the calendar server failed to {what}: {text[:300]}")
    if isinstance(e, OSError) or type(e).__name__ in ("ConnectionError", "Timeout", "ReadTimeout", "ConnectTimeout"):
        return CalDavUnreachable(f"the calendar server cannot be reached ({what}): {text[:200]}")
    return CalDavError(f"the calendar server failed to {what}: {type(e).__name__}: {text[:300]}")


def calendars(cfg: CalDavConfig) -> list[RemoteCalendar]:
    """The event calendars the user has on the server; fails on a wrong password or a dead server."""
    try:
        with _client(cfg) as client:
            found = []
            for cal in client.principal().calendars():
                components = _components(cal)
                if components and "VEVENT" not in components:
                    continue  # a task list or an address book
                found.append(RemoteCalendar(url=str(cal.url), name=cal.get_display_name() or href_of(cal.url),
                                            color=_color(cal)))
            return found
    except OURS:
        raise
    except Exception as e:
        raise _wrap(e, "list the calendars") from e


def _components(cal) -> list[str]:  # noqa: ANN001
    try:
        return list(cal.get_supported_components())
    except Exception:  # not every server says; then it holds events
        return []


def _color(cal) -> str | None:  # noqa: ANN001
    from caldav.elements import ical

    try:
        value = cal.get_property(ical.CalendarColor())
    except Exception:
        return None
    return str(value)[:20] if value else None


# RFC 6578 with no token: every member with its etag and data, and the token, in one answer (the
# server takes the token with the listing, so a change made meanwhile comes at the next sync).
_SYNC_ALL = ('<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:" '
             'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/><D:sync-level>1</D:sync-level>'
             '<D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>')
_REPORT = {"Content-Type": "application/xml; charset=utf-8", "Depth": "1"}
DAV, CALDAV = "DAV:", "urn:ietf:params:xml:ns:caldav"


def snapshot(cfg: CalDavConfig, calendar_url: str) -> Changes:
    """Every event of a calendar with its etag, and a sync token taken with the listing."""
    try:
        whole = _sync_all(request(cfg, calendar_url, "REPORT", _SYNC_ALL, _REPORT, "read the calendar"), calendar_url)
    except (CalDavAuthError, CalDavUnreachable, CalDavRateLimited):
        raise
    except CalDavError:  # no sync-collection here, or it refused: list it the long way
        whole = None
    if whole is None:
        return _listing(cfg, calendar_url)
    token, objects, unread = whole
    if unread:  # a server may list members without their data: read those in one multiget
        objects += _multiget(cfg, calendar_url, unread)
    return Changes(token=token, changed=[o for o in objects if "BEGIN:VEVENT" in o.data], deleted=[])


def xml_tree(raw: bytes | str | None):  # noqa: ANN201
    """A DAV answer's XML, or None when it is not XML. A hostile server must not make the parser read
    files or the network (XXE), nor blow up memory."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(raw.encode() if isinstance(raw, str) else (raw or b""), parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _sync_all(response, calendar_url: str) -> tuple[str | None, list[RemoteObject], list[str]] | None:  # noqa: ANN001
    """The token, the members read whole, and the hrefs listed without data; None when the answer is
    not a complete listing (truncated with 507, or not a multistatus)."""
    tree = xml_tree(getattr(response, "raw", None))
    if tree is None or tree.tag != f"{{{DAV}}}multistatus":
        return None
    own = href_of(calendar_url).rstrip("/")
    objects, unread = [], []
    for item in tree.iterchildren(f"{{{DAV}}}response"):
        href = href_of(item.findtext(f"{{{DAV}}}href") or "")
        status = item.findtext(f"{{{DAV}}}status") or ""
        if href.rstrip("/") == own:
            if " 507" in status:  # "more to come": the listing the long way is whole
                return None
            continue
        if not href or status and " 200" not in status:
            continue
        etag = data = None
        for stat in item.iterchildren(f"{{{DAV}}}propstat"):
            if " 200" not in (stat.findtext(f"{{{DAV}}}status") or ""):
                continue
            etag = stat.findtext(f"{{{DAV}}}prop/{{{DAV}}}getetag") or etag
            data = stat.findtext(f"{{{DAV}}}prop/{{{CALDAV}}}calendar-data") or data
        if data:
            objects.append(RemoteObject(href, etag, data))
        elif not href.endswith("/"):
            unread.append(href)
    return tree.findtext(f"{{{DAV}}}sync-token"), objects, unread


def _multiget(cfg: CalDavConfig, calendar_url: str, hrefs: list[str]) -> list[RemoteObject]:
    try:
        with _client(cfg) as client:
            cal = client.calendar(url=calendar_url)
            urls = [cal.url.join(h) for h in hrefs]
            return [RemoteObject(href_of(o.url), _etag(o), o.data) for o in cal.multiget(urls) if o.data]
    except OURS:
        raise
    except Exception as e:
        raise _wrap(e, "read the calendar's events") from e


def _listing(cfg: CalDavConfig, calendar_url: str) -> Changes:
    """The long way, for a server without sync-collection: the token (if it has one) first, then a
    calendar-query, so a change made during the listing comes again at the next sync."""
    from caldav.elements import dav

    try:
        with _client(cfg) as client:
            cal = client.calendar(url=calendar_url)
            try:
                token = cal.get_property(dav.SyncToken())
            except Exception:  # a server without sync-collection: every sync is a full one
                token = None
            objects = [RemoteObject(href_of(o.url), _etag(o), o.data) for o in cal.events() if o.data]
            return Changes(token=str(token) if token else None, changed=objects, deleted=[])
    except OURS:
        raise
    except Exception as e:
        raise _wrap(e, "read the calendar") from e


def changes(cfg: CalDavConfig, calendar_url: str, token: str) -> Changes:
    """What changed since `token` (RFC 6578 sync-collection), the changed events read in one
    multiget. Raises SyncTokenExpired when the server no longer knows the token."""
    from caldav.lib import error

    try:
        with _client(cfg) as client:
            cal = client.calendar(url=calendar_url)
            try:
                found = cal.get_objects_by_sync_token(token, load_objects=False, disable_fallback=True)
            except error.DAVError as e:
                preconditions = getattr(e, "preconditions", None) or []
                if any("valid-sync-token" in str(p) for p in preconditions) or "412" in str(e):
                    raise SyncTokenExpired("the calendar server no longer knows where the last sync stopped") from e
                raise
            deleted = {href_of(u) for u in found.deleted_urls}
            wanted = [o.url for o in found if href_of(o.url) not in deleted]
            loaded = cal.multiget(wanted) if wanted else []
            changed = [RemoteObject(href_of(o.url), _etag(o), o.data) for o in loaded if o.data]
            return Changes(token=str(found.sync_token) if found.sync_token else None, changed=changed,
                           deleted=sorted(deleted))
    except OURS:
        raise
    except Exception as e:
        raise _wrap(e, "read what changed") from e


def _etag(obj) -> str | None:  # noqa: ANN001
    from caldav.elements import dav

    value = (obj.props or {}).get(dav.GetEtag.tag)
    return str(value) if value else None


def put(cfg: CalDavConfig, *, calendar_url: str, uid: str, data: str, href: str | None = None,
        etag: str | None = None) -> RemoteObject:
    """Create (no href: a new resource named after the UID, refused if one exists) or replace (the
    href, only while its etag is still `etag`). Raises CalDavConflict when the server's copy changed."""
    from urllib.parse import quote

    target = href or href_of(urljoin(calendar_url.rstrip("/") + "/", quote(_safe_name(uid)) + ".ics"))
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    headers.update({"If-Match": etag} if href and etag else {"If-None-Match": "*"} if not href else {})
    url = urljoin(calendar_url, quote(target))
    response = request(cfg, url, "PUT", data, headers, "save the event")
    new_etag = response.headers.get("etag") or response.headers.get("ETag")
    if not new_etag:  # a server that stores the event otherwise than sent gives none: read it back
        new_etag = request(cfg, url, "HEAD", "", {}, "read the saved event").headers.get("etag")
    return RemoteObject(href=target, etag=new_etag, data=data)


def delete(cfg: CalDavConfig, *, calendar_url: str, href: str, etag: str | None) -> None:
    """Remove an event, only while its etag is still `etag`; one already gone is not an error."""
    from urllib.parse import quote

    headers = {"If-Match": etag} if etag else {}
    try:
        request(cfg, urljoin(calendar_url, quote(href)), "DELETE", "", headers, "delete the event")
    except CalDavError as e:
        if "404" not in str(e):
            raise


def request(cfg: CalDavConfig, url: str, method: str, body: str, headers: dict, what: str):  # noqa: ANN202
    try:
        with _client(cfg) as client:
            response = client.request(url, method, body, headers)
    except OURS:
        raise
    except Exception as e:
        raise _wrap(e, what) from e
    if response.status == 412:
        raise CalDavConflict("the event changed on the calendar server since it was read; the server's copy is kept")
    if response.status in (401, 403):
        raise CalDavAuthError(f"the calendar server refused to {what} (HTTP {response.status})")
    if response.status in (429, 503):
        raise CalDavRateLimited(f"the calendar server asks to slow down ({what})")
    if response.status >= 300:
        raise CalDavError(f"the calendar server failed to {what} (HTTP {response.status})")
    return response


def _safe_name(uid: str) -> str:
    # A UID is the sender's text: keep a file name of it that no server reads as a path.
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in uid)[:200] or "event"
