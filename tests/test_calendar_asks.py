"""Reading a meeting ask and the times it names, in English and Romanian, on the sender's clock."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

import pytest

from openfyxer.models.email import Email
from openfyxer.services.calendar import asks, offers
from openfyxer.services.calendar.asks import AFTERNOON, MORNING, NamedTime

# Thursday 3 December 2026
THU = date(2026, 12, 3)


def named(text: str, written: date = THU) -> list[tuple[date, time | None, time | None]]:
    return [(n.day, n.start, n.end) for n in asks.read(text, written=written).named]


@pytest.mark.parametrize("text", [
    "Can we meet next Tuesday afternoon?",
    "Could we hop on a call tomorrow at 3pm?",
    "Are you free for a quick chat on Friday?",
    "Let's catch up over coffee next week.",
    "Putem vorbi joi la 15:00?",
    "Ne putem întâlni mâine dimineață?",
    "Ai timp de o discuție luni?",
    "Hai să stabilim o întâlnire săptămâna viitoare.",
    "Sunteți disponibil pentru un apel vineri?",
])
def test_asks_to_meet(text):
    assert asks.read(text, written=THU).asks


@pytest.mark.parametrize("text", [
    "The meeting notes are attached.",  # a meeting word, but nothing asked
    "Please send me the invoice by Friday?",  # asked, but not to meet
    "Thanks for the call yesterday, it was great.",
    "Am atașat factura pentru luna noiembrie.",
    "",
])
def test_does_not_ask_to_meet(text):
    assert not asks.read(text, written=THU).asks


@pytest.mark.parametrize(("text", "expected"), [
    ("Can we meet next Tuesday afternoon?", [(date(2026, 12, 8), *AFTERNOON)]),
    ("tomorrow at 3pm?", [(date(2026, 12, 4), time(15), None)]),
    ("Tuesday at 10 works for me", [(date(2026, 12, 8), time(10), None)]),
    ("How about Thursday?", [(date(2026, 12, 10), None, None)]),  # said on a Thursday: next week's
    ("this Friday between 2 and 4pm", [(date(2026, 12, 4), time(14), time(16))]),
    ("on 8 December at 09:30", [(date(2026, 12, 8), time(9, 30), None)]),
    ("December 15th at 11am", [(date(2026, 12, 15), time(11), None)]),
    ("on 2027-01-05 at 14:00", [(date(2027, 1, 5), time(14), None)]),
    ("5 January at noon", [(date(2027, 1, 5), time(12), None)]),  # written in December: next year's
    ("Monday at 10 or Wednesday at 3", [(date(2026, 12, 7), time(10), None), (date(2026, 12, 9), time(15), None)]),
    ("Monday or Tuesday at 11", [(date(2026, 12, 7), time(11), None), (date(2026, 12, 8), time(11), None)]),
    ("Putem vorbi joi la 15:00?", [(date(2026, 12, 10), time(15), None)]),
    ("marțea viitoare după-amiază", [(date(2026, 12, 8), *AFTERNOON)]),
    ("mâine dimineata", [(date(2026, 12, 4), *MORNING)]),
    ("poimâine la ora 11", [(date(2026, 12, 5), time(11), None)]),
    ("vineri între 14 și 16", [(date(2026, 12, 4), time(14), time(16))]),
    ("We are 3 people; Friday works", [(date(2026, 12, 4), None, None)]),  # "3 people" is no time
    ("at 3pm", []),  # a time without a day names nothing to book
])
def test_named_times(text, expected):
    assert named(text) == expected


def test_next_weekday_is_next_weeks_even_early_in_the_week():
    monday = date(2026, 12, 7)
    assert named("next Thursday at 10", monday) == [(date(2026, 12, 17), time(10), None)]
    assert named("Thursday at 10", monday) == [(date(2026, 12, 10), time(10), None)]


@pytest.mark.parametrize(("text", "minutes"), [
    ("a 45-minute call", 45), ("half an hour", 30), ("an hour on Monday", 60), ("o oră", 60),
    ("2 hours", 120), ("15 min", 15), ("no length", None), ("2 minutes", None),
])
def test_duration(text, minutes):
    assert asks.read(text, written=THU).duration_minutes == minutes


@pytest.mark.parametrize(("text", "zone"), [
    ("at 3pm EST", "America/New_York"), ("10:00 CET", "Europe/Berlin"), ("la 15 ora României", "Europe/Bucharest"),
    ("3pm Pacific", "America/Los_Angeles"), ("no zone here, just a test", None), ("Budapest", None),
])
def test_stated_zone(text, zone):
    assert asks.read(text, written=THU).zone == zone


def test_the_senders_clock_decides_the_day():
    # Written at 22:30 on Monday in New York: already Tuesday in UTC; "tomorrow" is their Tuesday.
    sent = datetime(2026, 12, 8, 3, 30, tzinfo=UTC)
    clock = asks.sender_clock(sent, -300)
    assert clock.date() == date(2026, 12, 7)
    assert named("tomorrow at 10am?", clock.date()) == [(date(2026, 12, 8), time(10), None)]


def test_named_time_is_plain_data():
    n = NamedTime(day=THU, start=time(9))
    assert n.end is None and n.words == ""


# --- the sender's zone: stated, their signature's city, their Date header ----------------------------

def _mail(body: str, received: datetime, offset: int | None) -> Email:
    return Email(account_id=uuid.uuid4(), message_id="<m@x>", subject="Meeting", body_text=body,
                 received_at=received, sent_utc_offset=offset)


NY_SIGNATURE = "Could we talk next Tuesday at 10?\n\nBest,\nJohn Carter\nAcme Corp | New York, NY\n+1 212 555 0100"


@pytest.mark.parametrize(("body", "received", "offset", "zone"), [
    # a New York signature in summer and in winter: the zone, so a time across their DST change reads right
    (NY_SIGNATURE, datetime(2026, 7, 1, 14, tzinfo=UTC), -240, "America/New_York"),
    (NY_SIGNATURE, datetime(2026, 11, 2, 14, tzinfo=UTC), -300, "America/New_York"),
    # the city's zone did not have the Date header's offset: they are travelling, their clock wins
    (NY_SIGNATURE, datetime(2026, 11, 2, 14, tzinfo=UTC), -420, "UTC-07:00"),
    # Romanian signature with diacritics, the user's own zone
    ("Putem vorbi joi?\n\nCu stimă,\nMaria Ionescu\nBiroul din București", datetime(2026, 3, 2, 9, tzinfo=UTC), 120,
     "Europe/Bucharest"),
    ("Putem vorbi joi?\n\nCu stima,\nMaria\nCluj-Napoca, Romania", datetime(2026, 3, 2, 9, tzinfo=UTC), None,
     "Europe/Bucharest"),
    # no city: the offset as before; a city far up in a long mail is no signature
    ("Can we meet Tuesday?\nThanks,\nJo", datetime(2026, 7, 1, 14, tzinfo=UTC), -240, "UTC-04:00"),
    ("Our team in Tokyo sent the figures.\n" + "More detail here.\n" * 10 + "Thanks,\nJo",
     datetime(2026, 7, 1, 14, tzinfo=UTC), -240, "UTC-04:00"),
])
def test_the_senders_zone_from_their_signature_city_when_their_clock_agrees(body, received, offset, zone):
    assert offers.sender_zone(_mail(body, received, offset), None, "Europe/Bucharest") == zone


def test_a_stated_zone_wins_over_the_signature_city():
    assert offers.sender_zone(_mail(NY_SIGNATURE, datetime(2026, 7, 1, 14, tzinfo=UTC), -240), "Europe/London",
                              "UTC") == "Europe/London"


def test_a_time_named_across_the_senders_dst_change_is_read_on_their_clock():
    """GIVEN a New Yorker writing on Friday 30 October (UTC-4) about Tuesday 3 November at 10:00, after their clocks
    went back WHEN read THEN 10:00 is 15:00 UTC (UTC-5), not 14:00 as the Date header's fixed offset would give."""
    mail = _mail(NY_SIGNATURE.replace("next Tuesday", "Tuesday 3 November"), datetime(2026, 10, 30, 14, tzinfo=UTC),
                 -240)
    ask, zone = offers.read_mail(mail, "Europe/Bucharest")
    assert zone == "America/New_York"
    ((day, at),) = {(n.day, n.start) for n in ask.named if n.start is not None}  # "Tuesday", "3 November": one time
    start = datetime.combine(day, at, offers.zone_of(zone))
    assert start.astimezone(UTC) == datetime(2026, 11, 3, 15, tzinfo=UTC)
