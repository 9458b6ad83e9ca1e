"""Other people's busy time through a CalDAV server's scheduling outbox (RFC 6638, 5 and B.5).

A server that schedules (Nextcloud, Baikal, iCloud, SOGo: sabre/dav and kin) answers a VFREEBUSY
REQUEST POSTed to the user's `schedule-outbox-URL` with one `schedule-response` entry per person it
knows: a VFREEBUSY of their busy periods (never what the meetings are), or a request status that
says it cannot tell (3.7 unknown user, 5.x no free/busy). A server that does not schedule
(Radicale) names no outbox: `outbox` gives None and nobody is looked up there.

The DAV XML is read by the caldav library, as for the sync; the VFREEBUSY text inside it, which
the server wrote from other people's calendars, is read by `read_response`, which the caller runs
in the sandbox.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import icalendar
from lxml import etree

from openfyxer.integrations.caldav import CALDAV, DAV, CalDavConfig, CalDavError, request, xml_tree
_XML = {"Content-Type": "application/xml; charset=utf-8", "Depth": "0"}
_PRINCIPAL = (b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>'
              b'<D:current-user-principal/></D:prop></D:propfind>')
_OUTBOX = (b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
           b'<D:prop><C:schedule-outbox-URL/><C:calendar-user-address-set/></D:prop></D:propfind>')
_BUSY = {"BUSY", "BUSY-UNAVAILABLE"}


@dataclass(frozen=True)
class Outbox:
    url: str
    organizer: str  # the user's calendar address on that server ("mailto:ana@example.com")


@dataclass(frozen=True)
class Busy:
    busy: tuple[tuple[datetime, datetime], ...]
    tentative: tuple[tuple[datetime, datetime], ...]


def _tree(response: object) -> etree._Element | None:
    return xml_tree(getattr(response, "raw", None))


def _hrefs(tree: etree._Element, prop: str, ns: str) -> list[str]:
    """The DAV:href values inside every `prop` element of a PROPFIND answer."""
    return [href.text.strip() for holder in tree.iter(f"{{{ns}}}{prop}")
            for href in holder.iter(f"{{{DAV}}}href") if href.text and href.text.strip()]


def outbox(cfg: CalDavConfig, fallback_address: str) -> Outbox | None:
    """The user's scheduling outbox on the server, or None when the server does not schedule."""
    found = _tree(request(cfg, cfg.url, "PROPFIND", _PRINCIPAL.decode(), _XML, "find the user's principal"))
    principals = _hrefs(found, "current-user-principal", DAV) if found is not None else []
    if not principals:
        return None
    principal = urljoin(cfg.url, principals[0])
    try:
        found = _tree(request(cfg, principal, "PROPFIND", _OUTBOX.decode(), _XML, "find the scheduling outbox"))
    except CalDavError:
        return None
    if found is None:
        return None
    boxes = _hrefs(found, "schedule-outbox-URL", CALDAV)
    if not boxes:
        return None
    addresses = [a for a in _hrefs(found, "calendar-user-address-set", CALDAV) if a.lower().startswith("mailto:")]
    return Outbox(url=urljoin(principal, boxes[0]), organizer=addresses[0] if addresses else f"mailto:{fallback_address}")


def request_text(box: Outbox, people: list[str], start: datetime, end: datetime) -> str:
    """The VFREEBUSY REQUEST (RFC 6638 B.5): the window in UTC, the user as ORGANIZER, each person an ATTENDEE."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//OpenFyxer//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    query = icalendar.FreeBusy()
    query.add("uid", f"{uuid.uuid4()}@openfyxer")
    query.add("dtstamp", datetime.now(UTC))
    query.add("dtstart", start.astimezone(UTC))
    query.add("dtend", end.astimezone(UTC))
    query.add("organizer", icalendar.vCalAddress(box.organizer))
    for person in people:
        query.add("attendee", icalendar.vCalAddress(f"mailto:{person}"))
    calendar.add_component(query)
    return calendar.to_ical().decode()


def ask(cfg: CalDavConfig, box: Outbox, people: list[str], start: datetime, end: datetime) -> str:
    """The server's schedule-response, as text, for `read_response`."""
    headers = {"Content-Type": "text/calendar; charset=utf-8",
               "Originator": box.organizer, "Recipient": ", ".join(f"mailto:{p}" for p in people)}
    response = request(cfg, box.url, "POST", request_text(box, people, start, end), headers, "read free/busy")
    raw = getattr(response, "raw", "") or ""
    return raw if isinstance(raw, str) else raw.decode("utf-8", "replace")


def read_response(text: str) -> dict[str, Busy | None]:
    """Each recipient's busy and tentative periods (UTC), or None when the server could not tell
    (a request status other than 2.x, or no VFREEBUSY). Runs in the sandbox."""
    tree = xml_tree(text)
    if tree is None:
        raise CalDavError("the calendar server's free/busy answer is not XML")
    out: dict[str, Busy | None] = {}
    for entry in tree.iter(f"{{{CALDAV}}}response"):
        recipient = next((h.text for r in entry.iter(f"{{{CALDAV}}}recipient") for h in r.iter(f"{{{DAV}}}href")
                          if h.text), None)
        if not recipient or not recipient.strip().lower().startswith("mailto:"):
            continue
        address = recipient.strip()[7:].lower()
        status = "".join(s.text or "" for s in entry.iter(f"{{{CALDAV}}}request-status")).strip()
        data = "".join(d.text or "" for d in entry.iter(f"{{{CALDAV}}}calendar-data"))
        out[address] = _periods(data) if status.startswith("2.") and data.strip() else None
    return out


def _periods(data: str) -> Busy | None:
    busy: list[tuple[datetime, datetime]] = []
    tentative: list[tuple[datetime, datetime]] = []
    components = list(icalendar.Calendar.from_ical(data).walk("VFREEBUSY"))
    if not components:
        return None
    for component in components:
        found = component.get("FREEBUSY", [])
        for prop in found if isinstance(found, list) else [found]:
            kind = str(prop.params.get("FBTYPE", "BUSY")).upper()
            if kind not in _BUSY and kind != "BUSY-TENTATIVE":
                continue
            for period in prop.dt if isinstance(prop.dt, list) else [prop.dt]:
                start, last = period
                end = start + last if isinstance(last, timedelta) else last
                span = (start.astimezone(UTC), end.astimezone(UTC))
                (busy if kind in _BUSY else tentative).append(span)
    return Busy(tuple(busy), tuple(tentative))
