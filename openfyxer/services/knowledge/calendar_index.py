"""Calendar events into the knowledge store: (:Meeting) nodes, ATTENDED by the same (:Person) nodes
mail uses (keyed by address, the organizer included), each with a text chunk so retrieval finds it.

Which instances: per event (a series, or a one-off) and per set of people, its latest instance that
has started and its next one. "When did I last meet Ana?" needs only the latest meeting Ana was in,
and an override of one instance with other people is a set of its own, so that question is answered
right while a daily stand-up costs two nodes, not 365 near-identical chunks that would crowd every
search. Cancelled instances are left out. The node's key is the instance's row id, which the sync
keeps while the instance exists; so a source cites the row, and a node whose row is gone is deleted.

Re-indexing compares a digest of what each node would say with the one stored on it: unchanged
nodes cost nothing (no embedding), changed ones are deleted and written again (an attendee who left
loses their ATTENDED edge), and calendar nodes whose instance is no longer kept leave the store.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.integrations import embeddings
from openfyxer.integrations.graph_store import Batch, Chunk, Node, Ref
from openfyxer.integrations.knowledge_store import get_store
from openfyxer.models.calendar import CalendarEvent
from openfyxer.models.user import User
from openfyxer.services.knowledge import entities

LABEL = "Meeting"
ORIGIN = "calendar"  # the "origin" property of the Meeting nodes written here
BATCH = 64
DESCRIPTION_CHARS = 400  # what an invitation says beyond its title: enough to be found by
LIMIT_ROWS = 20_000  # instances read per user (a year back and two ahead of busy calendars)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def people(event: CalendarEvent) -> list[str]:
    """The organizer and the attendees, by address, lower case, once each (organizer first)."""
    found = [a.strip().lower() for a in [event.organizer or "", *(event.attendees or [])]]
    return list(dict.fromkeys(a for a in found if "@" in a))


def kept(rows: list, now: datetime) -> list[uuid.UUID]:
    """The ids of the instances that become nodes: per (event, title, people), the latest that has
    started and the next one. `rows` have id, uid, title, organizer, attendees and start_time."""
    last: dict[tuple, tuple[datetime, uuid.UUID]] = {}
    upcoming: dict[tuple, tuple[datetime, uuid.UUID]] = {}
    for r in rows:
        group = (r.uid or str(r.id), r.title or "", tuple(sorted(people(r))))
        start = r.start_time.astimezone(UTC)
        if start <= now:
            if group not in last or start > last[group][0]:
                last[group] = (start, r.id)
        elif group not in upcoming or start < upcoming[group][0]:
            upcoming[group] = (start, r.id)
    return [i for _, i in last.values()] + [i for _, i in upcoming.values()]


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(event: CalendarEvent, zone: ZoneInfo) -> str:
    """The event's time as a reader in `zone` sees it: "2026-03-03 10:00-11:00 (Europe/Bucharest)"."""
    if event.is_all_day:
        first, after = event.start_time.date(), event.end_time.date()
        days = (after - first).days
        return f"{first.isoformat()} (all day)" if days <= 1 else f"{first.isoformat()} ({days} days, all day)"
    a, b = event.start_time.astimezone(zone), event.end_time.astimezone(zone)
    end = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%Y-%m-%d %H:%M}"
    return f"{a:%Y-%m-%d %H:%M}-{end} ({zone.key})"


def text_of(event: CalendarEvent, zone: ZoneInfo) -> str:
    """What retrieval reads: both languages' word for a meeting, its time, place, people and notes."""
    lines = [f"Meeting / Întâlnire: {event.title or '(no title)'}", f"When: {when(event, zone)}"]
    if event.location:
        lines.append(f"Where: {event.location}")
    if event.organizer:
        lines.append(f"Organizer: {event.organizer}")
    if attendees := [a for a in people(event) if a != (event.organizer or "").lower()]:
        lines.append("Attendees: " + ", ".join(attendees))
    if description := " ".join((event.description or "").split())[:DESCRIPTION_CHARS]:
        lines.append(description)
    return "\n".join(lines)


def node_of(event: CalendarEvent, text: str) -> Node:
    props = {"title": event.title or "", "date": iso(event.start_time), "end": iso(event.end_time),
             "location": event.location or "", "all_day": bool(event.is_all_day), "origin": ORIGIN,
             "uid": event.uid or "", "calendar_id": str(event.calendar_id or ""),
             "recurring": bool(event.recurrence_id), "organizer": (event.organizer or "").lower()}
    digest = hashlib.sha256(json.dumps([props, people(event), text], sort_keys=True).encode()).hexdigest()[:20]
    return Node(LABEL, str(event.id), {**props, "digest": digest})


def event_batch(event: CalendarEvent, node: Node, texts: list[str], vectors: list) -> Batch:
    me = node.ref
    batch = Batch(nodes=[node])
    for address in people(event):
        batch.nodes.append(Node("Person", address, {"email": address}))
        batch.edges.append((Ref("Person", address), "ATTENDED", me))
        if domain := entities.company_domain(address):
            batch.nodes.append(Node("Company", domain, {"name": entities.company_name(domain), "domain": domain}))
            batch.edges.append((Ref("Person", address), "WORKS_AT", Ref("Company", domain)))
    batch.chunks[me] = [Chunk(i, t, v) for i, (t, v) in enumerate(zip(texts, vectors, strict=True))]
    return batch


def index_calendar(*, user_id: uuid.UUID, now: datetime | None = None) -> dict[str, int]:
    """Bring the user's Meeting nodes in line with their calendar rows; returns how many were written,
    deleted and left as they were. The store is written between database transactions."""
    now = now or datetime.now(UTC)
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None:
            return {"written": 0, "deleted": 0, "unchanged": 0}
        zone = zone_of(user.timezone)
        light = s.exec(select(CalendarEvent.id, CalendarEvent.uid, CalendarEvent.title, CalendarEvent.organizer,
                              CalendarEvent.attendees, CalendarEvent.start_time)
                       .where(CalendarEvent.user_id == user_id, CalendarEvent.status != "CANCELLED")
                       .order_by(CalendarEvent.start_time.desc()).limit(LIMIT_ROWS)).all()
        ids = kept(light, now)
        rows = [r for i in range(0, len(ids), 500) for r in s.exec(
            select(CalendarEvent).where(CalendarEvent.id.in_(ids[i:i + 500]))).all()]
        wanted = {str(r.id): (r, text_of(r, zone)) for r in rows}
    store, me = get_store(), str(user_id)
    stored = {n.key: n.props.get("digest") for n in store.having(me, LABEL, "origin", ORIGIN)}
    nodes = {key: node_of(row, text) for key, (row, text) in wanted.items()}
    stale = [key for key, digest in stored.items() if key not in nodes or nodes[key].props["digest"] != digest]
    for key in stale:
        store.delete(me, Ref(LABEL, key))
    todo = [key for key in nodes if stored.get(key) != nodes[key].props["digest"]]
    for i in range(0, len(todo), BATCH):
        part = todo[i:i + BATCH]
        texts = [entities.chunks(wanted[key][1], limit=2) for key in part]
        flat = [t for ts in texts for t in ts]
        vectors = list(embeddings.embed(flat)) if flat else []
        batch, at = Batch(), 0
        for key, ts in zip(part, texts, strict=True):
            one = event_batch(wanted[key][0], nodes[key], ts, vectors[at:at + len(ts)])
            at += len(ts)
            batch.nodes += one.nodes
            batch.edges += one.edges
            batch.chunks |= one.chunks
        store.write(me, batch)
    gone = sum(1 for key in stale if key not in nodes)
    return {"written": len(todo), "deleted": gone, "unchanged": len(nodes) - len(todo)}
