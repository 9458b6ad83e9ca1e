"""Calendar time, as a time table: iCalendar data to event instances, and free slots, across zones and
DST changes. Every expected time is written out by hand (local wall time and its UTC equivalent);
2026's changes are 29 March and 25 October in Europe, 8 March and 1 November in the United States."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from openfyxer.services.calendar.slots import MIDNIGHT, Person, Rules, Slot, WorkingHours, free_slots, propose
from openfyxer.services.calendar.timeline import Attendee, CalendarDataError, Instance, expand, to_ics


def z(text: str) -> datetime:
    """'2026-03-29T07:00' -> that instant in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def vcal(*events: str, head: str = "") -> str:
    body = "".join(f"BEGIN:VEVENT\nDTSTAMP:20260101T000000Z\n{e.strip()}\nEND:VEVENT\n" for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{head}{body}END:VCALENDAR\n".replace("\n", "\r\n")


YEAR = (z("2026-01-01T00:00"), z("2027-01-01T00:00"))

# Tuesdays 10:00-11:00 in Bucharest; 7 April cancelled; 24 March moved to Monday 30 March 09:00.
BUCHAREST_SERIES = vcal("""
UID:weekly-buc@x
SUMMARY:Weekly
DTSTART;TZID=Europe/Bucharest:20260106T100000
DTEND;TZID=Europe/Bucharest:20260106T110000
RRULE:FREQ=WEEKLY;BYDAY=TU
EXDATE;TZID=Europe/Bucharest:20260407T100000
""", """
UID:weekly-buc@x
SUMMARY:Weekly (moved)
RECURRENCE-ID;TZID=Europe/Bucharest:20260324T100000
DTSTART;TZID=Europe/Bucharest:20260330T090000
DTEND;TZID=Europe/Bucharest:20260330T100000
""")

# Tuesdays 10:00-10:30 in New York; 10 March cancelled; 3 November moved to Friday 30 October 09:00.
NEW_YORK_SERIES = vcal("""
UID:weekly-ny@x
SUMMARY:Standup
DTSTART;TZID=America/New_York:20260106T100000
DTEND;TZID=America/New_York:20260106T103000
RRULE:FREQ=WEEKLY;BYDAY=TU
EXDATE;TZID=America/New_York:20260310T100000
""", """
UID:weekly-ny@x
SUMMARY:Standup (moved)
RECURRENCE-ID;TZID=America/New_York:20261103T100000
DTSTART;TZID=America/New_York:20261030T090000
DTEND;TZID=America/New_York:20261030T093000
""")

SERIES_TABLE = [
    pytest.param(
        BUCHAREST_SERIES, "Europe/Bucharest", timedelta(hours=1),
        # 10:00 EET = 08:00Z until the change, 10:00 EEST = 07:00Z from 31 March, 08:00Z again from 27 October
        {"2026-01-06T08:00", "2026-03-17T08:00", "2026-03-31T07:00", "2026-04-14T07:00", "2026-10-20T07:00",
         "2026-10-27T08:00", "2026-12-29T08:00"},
        {"2026-03-24T08:00", "2026-04-07T07:00", "2026-04-07T08:00"},
        ("2026-03-30T06:00", "2026-03-24T08:00:00+00:00"),  # Monday 09:00 EEST; it was Tuesday 10:00 EET
        {8: 11 + 10, 7: 29},  # Jan 6 - Mar 17 and Oct 27 - Dec 29 in winter; Mar 31 - Oct 20 less Apr 7
        id="bucharest",
    ),
    pytest.param(
        NEW_YORK_SERIES, "America/New_York", timedelta(minutes=30),
        # 10:00 EST = 15:00Z until 3 March, 10:00 EDT = 14:00Z from 17 March to 27 October, 15:00Z from 10 November
        {"2026-01-06T15:00", "2026-03-03T15:00", "2026-03-17T14:00", "2026-10-27T14:00", "2026-11-10T15:00",
         "2026-12-29T15:00"},
        {"2026-03-10T14:00", "2026-03-10T15:00", "2026-11-03T15:00", "2026-11-03T14:00"},
        ("2026-10-30T13:00", "2026-11-03T15:00:00+00:00"),  # Friday 09:00 EDT; it was Tuesday 10:00 EST
        {15: 9 + 8, 14: 33},  # Jan 6 - Mar 3 and Nov 10 - Dec 29; Mar 17 - Oct 27
        id="new-york",
    ),
]


@pytest.mark.parametrize(("ics", "tz", "length", "present", "absent", "moved", "hours"), SERIES_TABLE)
def test_a_weekly_series_keeps_its_wall_time_across_both_dst_changes(ics, tz, length, present, absent, moved, hours):
    """GIVEN a Tuesday 10:00 series for all of 2026 with one instance cancelled (EXDATE) and one moved
    WHEN it is expanded over the year THEN 51 instances stay at 10:00 local (a different UTC hour each
    side of a change), the moved one is at its new time keyed by its original start, the cancelled one is gone."""
    found = expand(ics, *YEAR).instances
    starts = {i.start.strftime("%Y-%m-%dT%H:%M"): i for i in found}
    assert len(found) == 51 and len(starts) == 51
    assert present <= starts.keys() and not absent & starts.keys()
    new_start, original = moved
    shifted = starts[new_start]
    assert shifted.recurrence_id == original and shifted.summary.endswith("(moved)")
    regular = [i for i in found if i is not shifted]
    assert Counter(i.start.hour for i in regular) == hours
    for i in regular:
        local = i.start.astimezone(ZoneInfo(tz))
        assert (local.weekday(), local.time()) == (1, time(10)) and i.end - i.start == length
        assert i.recurrence_id == i.start.isoformat() and i.is_recurring and i.tzid == tz


def test_a_moved_instance_is_found_where_it_went_not_where_it_was():
    """GIVEN the New York series whose 3 November instance moved to Friday 30 October WHEN the week of
    26 October and the week of 2 November (New York weeks) are asked for THEN the first holds Tuesday's
    instance and the moved one, the second holds nothing: its Tuesday went to the week before."""
    week_before = expand(NEW_YORK_SERIES, z("2026-10-26T04:00"), z("2026-11-02T05:00")).instances
    assert [(i.start, i.recurrence_id) for i in week_before] == [
        (z("2026-10-27T14:00"), "2026-10-27T14:00:00+00:00"),
        (z("2026-10-30T13:00"), "2026-11-03T15:00:00+00:00"),
    ]
    assert expand(NEW_YORK_SERIES, z("2026-11-02T05:00"), z("2026-11-09T05:00")).instances == []


ALL_DAY = vcal("""
UID:may-day@x
SUMMARY:Holiday
DTSTART;VALUE=DATE:20260501
DTEND;VALUE=DATE:20260502
""", """
UID:offsite@x
SUMMARY:Offsite
DTSTART;VALUE=DATE:20260601
DTEND;VALUE=DATE:20260604
""", """
UID:no-end@x
SUMMARY:No end given
DTSTART;VALUE=DATE:20260710
""")


@pytest.mark.parametrize(("window", "tz", "uids"), [
    (("2026-04-30T22:00", "2026-04-30T23:00"), "Europe/Bucharest", {"may-day@x"}),  # 1 May 01:00-02:00 EEST
    (("2026-04-30T22:00", "2026-04-30T23:00"), "UTC", set()),  # still 30 April
    (("2026-05-02T00:00", "2026-05-02T01:00"), "America/New_York", {"may-day@x"}),  # 1 May 20:00 EDT
    (("2026-05-02T00:00", "2026-05-02T01:00"), "UTC", set()),  # the end date is exclusive
    (("2026-05-31T21:00", "2026-05-31T21:30"), "Europe/Bucharest", {"offsite@x"}),  # 1 June 00:00 EEST
    (("2026-05-31T21:00", "2026-05-31T21:30"), "UTC", set()),
    (("2026-06-03T20:00", "2026-06-03T20:30"), "Europe/Bucharest", {"offsite@x"}),  # 3 June 23:00 EEST
    (("2026-06-03T21:00", "2026-06-03T22:00"), "Europe/Bucharest", set()),  # 4 June 00:00 EEST: over
    (("2026-06-03T21:00", "2026-06-03T22:00"), "UTC", {"offsite@x"}),
    (("2026-06-04T02:00", "2026-06-04T03:00"), "America/New_York", {"offsite@x"}),  # 3 June 22:00 EDT
    (("2026-06-04T02:00", "2026-06-04T03:00"), "UTC", set()),
    (("2026-07-10T23:00", "2026-07-11T00:00"), "UTC", {"no-end@x"}),  # no DTEND: one day
    (("2026-07-11T00:00", "2026-07-11T01:00"), "UTC", set()),
])
def test_all_day_events_cover_whole_days_of_the_users_zone(window, tz, uids):
    """GIVEN a one-day, a three-day and an end-less all-day event WHEN a window is asked for in a given
    user zone THEN an event counts if one of its dates, as a whole day in that zone, overlaps the window."""
    found = expand(ALL_DAY, z(window[0]), z(window[1]), default_zone=tz).instances
    assert {i.uid for i in found} == uids


def test_an_all_day_instance_is_dates_with_an_exclusive_end():
    """GIVEN the all-day events WHEN June and July are expanded THEN they are dates, the end exclusive,
    with no zone; an event without DTEND lasts one day."""
    found = expand(ALL_DAY, z("2026-06-01T00:00"), z("2026-08-01T00:00"), default_zone="Asia/Tokyo").instances
    assert [(i.uid, i.start, i.end, i.all_day, i.tzid) for i in found] == [
        ("offsite@x", date(2026, 6, 1), date(2026, 6, 4), True, None),
        ("no-end@x", date(2026, 7, 10), date(2026, 7, 11), True, None),
    ]


OVER_MIDNIGHT = vcal("""
UID:late@x
SUMMARY:Late call
DTSTART;TZID=Europe/Bucharest:20260115T230000
DTEND;TZID=Europe/Bucharest:20260116T010000
""")


@pytest.mark.parametrize(("window", "found"), [
    (("2026-01-14T22:00", "2026-01-15T22:00"), True),  # all of 15 January in Bucharest
    (("2026-01-15T22:00", "2026-01-16T22:00"), True),  # all of 16 January
    (("2026-01-15T23:00", "2026-01-16T22:00"), False),  # 16 January from 01:00: it has ended
    (("2026-01-15T20:00", "2026-01-15T21:00"), False),  # 22:00-23:00: it has not begun
])
def test_an_event_over_midnight_belongs_to_both_days(window, found):
    """GIVEN a call 23:00-01:00 Bucharest time (21:00Z-23:00Z in January) WHEN either local day is asked for
    THEN it is there; a window that only touches its start or end does not hold it."""
    instances = expand(OVER_MIDNIGHT, z(window[0]), z(window[1])).instances
    assert [(i.start, i.end) for i in instances] == ([(z("2026-01-15T21:00"), z("2026-01-15T23:00"))] if found else [])


OUTLOOK_PACIFIC = """BEGIN:VTIMEZONE
TZID:Pacific Standard Time
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:-0700
TZOFFSETTO:-0800
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:-0800
TZOFFSETTO:-0700
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""
CUSTOM_ZONE = """BEGIN:VTIMEZONE
TZID:Bucharest (custom)
BEGIN:STANDARD
DTSTART:19701025T040000
TZOFFSETFROM:+0300
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0300
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
"""
ZONES = vcal(
    'UID:pst@x\nDTSTART;TZID="Pacific Standard Time":20260310T090000\nDTEND;TZID="Pacific Standard Time":20260310T100000',
    "UID:gtb@x\nDTSTART;TZID=GTB Standard Time:20260310T090000\nDTEND;TZID=GTB Standard Time:20260310T093000",
    "UID:cet@x\nDTSTART;TZID=W. Europe Standard Time:20260701T090000\nDTEND;TZID=W. Europe Standard Time:20260701T093000",
    "UID:est@x\nDTSTART;TZID=Eastern Standard Time:20260310T090000\nDTEND;TZID=Eastern Standard Time:20260310T093000",
    "UID:custom@x\nDTSTART;TZID=Bucharest (custom):20260701T100000\nDTEND;TZID=Bucharest (custom):20260701T103000",
    head=OUTLOOK_PACIFIC + CUSTOM_ZONE,
)


def test_windows_zone_names_and_a_custom_vtimezone_are_read_as_real_zones():
    """GIVEN Exchange-style TZIDs (with and without their VTIMEZONE) and a custom VTIMEZONE WHEN expanded THEN
    each is at its instant: 09:00 PDT = 16:00Z (after 8 March), 09:00 EET = 07:00Z, 09:00 CEST = 07:00Z,
    09:00 EDT = 13:00Z, 10:00 custom-EEST = 07:00Z; the IANA name is kept, none for the custom zone."""
    found = {i.uid: (i.start, i.tzid) for i in expand(ZONES, z("2026-03-01T00:00"), z("2026-08-01T00:00")).instances}
    assert found == {
        "pst@x": (z("2026-03-10T16:00"), "America/Los_Angeles"),
        "gtb@x": (z("2026-03-10T07:00"), "Europe/Bucharest"),
        "est@x": (z("2026-03-10T13:00"), "America/New_York"),
        "cet@x": (z("2026-07-01T07:00"), "Europe/Berlin"),
        "custom@x": (z("2026-07-01T07:00"), None),
    }


GOOGLE = vcal(
    "UID:g-weekly@x\nDTSTART:20260106T080000Z\nDTEND:20260106T090000Z\nRRULE:FREQ=WEEKLY;COUNT=20",
    "UID:g-floating@x\nDTSTART:20260105T090000\nDTEND:20260105T100000",
    head="X-WR-TIMEZONE:Europe/Bucharest\n",
)


def test_an_x_wr_timezone_calendar_repeats_on_its_zones_wall_clock():
    """GIVEN a Google calendar (X-WR-TIMEZONE Europe/Bucharest) with a weekly series written as 08:00Z and a
    floating event WHEN expanded for a New York user THEN the series stays at 10:00 Bucharest time (08:00Z in
    winter, 07:00Z in summer) and the floating event is 09:00 Bucharest (07:00Z), not New York time."""
    found = expand(GOOGLE, z("2026-01-01T00:00"), z("2026-06-01T00:00"), default_zone="America/New_York").instances
    starts = [i.start for i in found]
    assert z("2026-01-05T07:00") in starts
    assert z("2026-03-24T08:00") in starts and z("2026-03-31T07:00") in starts and z("2026-05-19T07:00") in starts
    assert len(found) == 21 and {i.tzid for i in found if i.uid == "g-weekly@x"} == {"Europe/Bucharest"}


@pytest.mark.parametrize(("tz", "start"), [
    ("America/New_York", "2026-03-10T13:00"),  # 09:00 EDT, two days after the change
    ("Europe/Bucharest", "2026-03-10T07:00"),  # 09:00 EET
    ("UTC", "2026-03-10T09:00"),
])
def test_a_floating_time_is_read_in_the_users_zone(tz, start):
    """GIVEN an event at 09:00 with neither TZID nor Z WHEN expanded for users in different zones THEN it is
    09:00 in each one's zone, and carries no zone name of its own."""
    ics = vcal("UID:float@x\nDTSTART:20260310T090000\nDTEND:20260310T093000")
    (found,) = expand(ics, z("2026-03-09T00:00"), z("2026-03-12T00:00"), default_zone=tz).instances
    assert (found.start, found.end - found.start, found.tzid) == (z(start), timedelta(minutes=30), None)


def test_an_instance_carries_people_status_and_length():
    """GIVEN an invitation (METHOD:REQUEST) with organizer, attendees, DURATION, TRANSP, STATUS and SEQUENCE,
    and a reminder with neither DTEND nor DURATION WHEN expanded THEN addresses are lower-cased without
    mailto:, the DURATION makes the end, and the reminder lasts zero time."""
    ics = vcal("""
UID:invite@x
SUMMARY:Budget review
DESCRIPTION:Numbers for Q3
LOCATION:Room 4
DTSTART:20260310T090000Z
DURATION:PT45M
STATUS:TENTATIVE
TRANSP:TRANSPARENT
SEQUENCE:2
ORGANIZER;CN=Boss:MAILTO:Boss@Example.com
ATTENDEE;CN=Ana Pop;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:Ana@Example.com
ATTENDEE:mailto:dan@example.com
""", "UID:ping@x\nSUMMARY:Ping\nDTSTART:20260310T120000Z", head="METHOD:REQUEST\n")
    parsed = expand(ics, z("2026-03-10T00:00"), z("2026-03-11T00:00"))
    invite, ping = parsed.instances
    assert parsed.method == "REQUEST" and parsed.skipped == []
    assert (invite.start, invite.end) == (z("2026-03-10T09:00"), z("2026-03-10T09:45"))
    assert (invite.status, invite.transparent, invite.sequence, invite.recurrence_id, invite.is_recurring) == (
        "TENTATIVE", True, 2, None, False)
    assert (invite.summary, invite.description, invite.location) == ("Budget review", "Numbers for Q3", "Room 4")
    assert invite.organizer == "boss@example.com"
    assert invite.attendees == (Attendee("ana@example.com", "Ana Pop", "ACCEPTED", "CHAIR"),
                                Attendee("dan@example.com", "", "NEEDS-ACTION", "REQ-PARTICIPANT"))
    assert (ping.start, ping.end, ping.status, ping.transparent) == (z("2026-03-10T12:00"), z("2026-03-10T12:00"),
                                                                     "CONFIRMED", False)


def test_a_bad_event_is_skipped_and_the_others_kept():
    """GIVEN good events next to one without DTSTART, one with an unreadable date and one with a rule the
    library refuses WHEN expanded THEN the good ones are there and each bad one is named in `skipped`."""
    ics = vcal(
        "UID:good-1@x\nDTSTART:20260310T090000Z\nDTEND:20260310T100000Z",
        "UID:no-start@x\nSUMMARY:Where?",
        "UID:bad-date@x\nDTSTART:2026031x\nDTEND:20260310T100000Z",
        "UID:bad-rule@x\nDTSTART:20260310T090000Z\nRRULE:FREQ=SOMETIMES",
        "UID:good-2@x\nDTSTART;TZID=Europe/Bucharest:20260311T090000\nRRULE:FREQ=DAILY;COUNT=2",
    )
    parsed = expand(ics, z("2026-03-01T00:00"), z("2026-04-01T00:00"))
    assert [(i.uid, i.start) for i in parsed.instances] == [
        ("good-1@x", z("2026-03-10T09:00")), ("good-2@x", z("2026-03-11T07:00")), ("good-2@x", z("2026-03-12T07:00"))]
    assert len(parsed.skipped) == 3
    assert "event 'no-start@x': no DTSTART" in parsed.skipped
    assert any("'bad-date@x'" in line for line in parsed.skipped)
    assert any("'bad-rule@x'" in line for line in parsed.skipped)


@pytest.mark.parametrize("data", ["", "garbage, not a calendar", b"\x00\xff\xfe", "BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n"])
def test_data_that_is_not_a_calendar_raises(data):
    """GIVEN a payload that is not a VCALENDAR WHEN expanded THEN CalendarDataError, not a library's exception."""
    with pytest.raises(CalendarDataError):
        expand(data, *YEAR)


def test_a_rule_repeating_every_minute_stops_at_the_cap():
    """GIVEN a series every minute, forever WHEN 20 days (28,800 minutes) are asked for THEN 20,000 instances
    come back, in order from the start, and `skipped` says the rest were left out."""
    ics = vcal("UID:spam@x\nDTSTART:20260101T000000Z\nDURATION:PT1M\nRRULE:FREQ=MINUTELY")
    parsed = expand(ics, z("2026-01-01T00:00"), z("2026-01-21T00:00"))
    assert len(parsed.instances) == 20_000 and parsed.instances[0].start == z("2026-01-01T00:00")
    assert len(parsed.skipped) == 1 and "20,000" in parsed.skipped[0]


def test_what_to_ics_writes_expands_back_to_the_same_instance():
    """GIVEN an invitation written by to_ics in Bucharest time on the DST day (10:00 EEST = 07:00Z) and an
    all-day one WHEN each is expanded THEN the very same instance comes back, and the text holds the
    zone's VTIMEZONE and the local wall time."""
    ana = Attendee("ana@example.com", "Ana Pop", "NEEDS-ACTION", "REQ-PARTICIPANT")
    text = to_ics(uid="meet-1@openfyxer", start=z("2026-03-29T07:00"), end=z("2026-03-29T07:30"), all_day=False,
                  tzid="Europe/Bucharest", summary="Intro call", description="About the offer", location="Online",
                  organizer="me@example.com", attendees=(ana,), sequence=1, method="REQUEST")
    assert "PRODID:-//OpenFyxer//EN" in text and "METHOD:REQUEST" in text and "BEGIN:VTIMEZONE" in text
    assert "DTSTART;TZID=Europe/Bucharest:20260329T100000" in text
    parsed = expand(text, z("2026-03-29T00:00"), z("2026-03-30T00:00"))
    assert parsed.method == "REQUEST" and parsed.instances == [Instance(
        uid="meet-1@openfyxer", recurrence_id=None, start=z("2026-03-29T07:00"), end=z("2026-03-29T07:30"),
        all_day=False, tzid="Europe/Bucharest", summary="Intro call", description="About the offer",
        location="Online", status="CONFIRMED", transparent=False, organizer="me@example.com", attendees=(ana,),
        sequence=1, is_recurring=False)]
    day = to_ics(uid="off@openfyxer", start=date(2026, 5, 1), end=date(2026, 5, 2), all_day=True, tzid=None,
                 summary="Day off")
    assert "DTSTART;VALUE=DATE:20260501" in day
    (back,) = expand(day, z("2026-05-01T00:00"), z("2026-05-02T00:00")).instances
    assert (back.start, back.end, back.all_day, back.tzid, back.summary) == (
        date(2026, 5, 1), date(2026, 5, 2), True, None, "Day off")


@pytest.mark.parametrize("call", [
    lambda: expand(ALL_DAY, datetime(2026, 1, 1), z("2026-02-01T00:00")),  # naive
    lambda: expand(ALL_DAY, z("2026-02-01T00:00"), z("2026-02-01T00:00")),  # empty window
    lambda: expand(ALL_DAY, *YEAR, default_zone="Mars/Olympus"),
    lambda: to_ics(uid="x", start=datetime(2026, 1, 1, 9), end=z("2026-01-01T10:00"), all_day=False, tzid=None,
                   summary="naive"),
    lambda: to_ics(uid="x", start=date(2026, 1, 2), end=date(2026, 1, 1), all_day=True, tzid=None, summary="back"),
])
def test_bad_calendar_arguments_raise_value_error(call):
    """GIVEN a naive time, an empty window, an unknown zone or an event ending before it starts WHEN called
    THEN ValueError, which the API turns into 422."""
    with pytest.raises(ValueError):
        call()


# ---- free slots ----------------------------------------------------------------------------------

NOW = z("2026-01-01T00:00")
HALF_HOUR = Rules(duration=timedelta(minutes=30), min_notice=timedelta(0))
BUCHAREST, NEW_YORK, TOKYO = (WorkingHours.default(name) for name in ("Europe/Bucharest", "America/New_York", "Asia/Tokyo"))
TOKYO_EVENINGS = WorkingHours("Asia/Tokyo", {d: ((time(21), MIDNIGHT),) for d in range(5)})
EVERY_DAY = {d: ((time(9), time(17)),) for d in range(7)}


def starts(slots: list[Slot]) -> list[str]:
    return [s.start.strftime("%m-%d %H:%M") for s in slots]


@pytest.mark.parametrize(("others", "expected"), [
    ((), 31),  # Bucharest alone: 09:00-17:00 EET = 07:00Z-15:00Z, a start every 15 minutes until 14:30Z
    ((TOKYO,), ["02-03 07:00", "02-03 07:15", "02-03 07:30"]),  # Tokyo 09-17 JST = 00:00Z-08:00Z
    ((NEW_YORK,), ["02-03 14:00", "02-03 14:15", "02-03 14:30"]),  # New York 09-17 EST = 14:00Z-22:00Z
    ((NEW_YORK, TOKYO), []),  # no hour is working time in all three
    ((NEW_YORK, TOKYO_EVENINGS), ["02-03 14:00", "02-03 14:15", "02-03 14:30"]),  # Tokyo 21-24 JST = 12:00Z-15:00Z
])
def test_only_the_working_hours_everybody_shares_are_offered(others, expected):
    """GIVEN a Bucharest user and people in New York and Tokyo, each with their own local working hours WHEN
    Tuesday 3 February (UTC) is searched for 30 minutes THEN only the hours common to all are offered:
    14:00Z is 16:00 in Bucharest, 09:00 in New York and 23:00 in Tokyo."""
    slots = free_slots(user=Person(BUCHAREST), others=[Person(h) for h in others], start=z("2026-02-03T00:00"),
                       end=z("2026-02-04T00:00"), now=NOW, rules=HALF_HOUR)
    assert (len(slots) if isinstance(expected, int) else starts(slots)) == expected
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


@pytest.mark.parametrize(("tz", "window", "days"), [
    # Saturday 28 March 09-17 EET = 07:00Z-15:00Z; Sunday 29 March (the change) 09-17 EEST = 06:00Z-14:00Z
    ("Europe/Bucharest", ("2026-03-27T22:00", "2026-03-29T21:00"),
     {"03-28": ("07:00", "14:30"), "03-29": ("06:00", "13:30")}),
    # Saturday 24 October 09-17 EEST = 06:00Z-14:00Z; Sunday 25 October 09-17 EET = 07:00Z-15:00Z
    ("Europe/Bucharest", ("2026-10-23T21:00", "2026-10-25T22:00"),
     {"10-24": ("06:00", "13:30"), "10-25": ("07:00", "14:30")}),
    # Saturday 7 March 09-17 EST = 14:00Z-22:00Z; Sunday 8 March 09-17 EDT = 13:00Z-21:00Z
    ("America/New_York", ("2026-03-07T05:00", "2026-03-09T04:00"),
     {"03-07": ("14:00", "21:30"), "03-08": ("13:00", "20:30")}),
    # Saturday 31 October 09-17 EDT = 13:00Z-21:00Z; Sunday 1 November 09-17 EST = 14:00Z-22:00Z
    ("America/New_York", ("2026-10-31T04:00", "2026-11-02T05:00"),
     {"10-31": ("13:00", "20:30"), "11-01": ("14:00", "21:30")}),
])
def test_a_dst_day_is_still_nine_to_five_local(tz, window, days):
    """GIVEN a person working 09:00-17:00 every day WHEN the weekend of a DST change is searched THEN each
    day has 31 half-hour slots from 09:00 to 16:30 local, at a UTC hour that differs either side."""
    slots = free_slots(user=Person(WorkingHours(tz, EVERY_DAY)), start=z(window[0]), end=z(window[1]), now=NOW,
                       rules=HALF_HOUR)
    by_day: dict[str, list[str]] = {}
    for s in starts(slots):
        by_day.setdefault(s[:5], []).append(s[6:])
    assert {d: (times[0], times[-1]) for d, times in by_day.items()} == days
    assert [len(times) for times in by_day.values()] == [31, 31]
    assert all(time(9) <= s.start.astimezone(ZoneInfo(tz)).time() <= time(16, 30) for s in slots)


SPRING = (z("2026-03-27T00:00"), z("2026-03-30T00:00"))
AUTUMN = (z("2026-10-31T00:00"), z("2026-11-03T00:00"))


@pytest.mark.parametrize(("tz", "days", "window", "minutes", "step", "expected"), [
    # 03:00-04:00 does not exist on 29 March in Bucharest: no slot, no error
    ("Europe/Bucharest", {6: ((time(3), time(4)),)}, SPRING, 30, 15, []),
    # 03:30-05:00 on 29 March starts at the jump (04:00 EEST = 01:00Z) and ends 05:00 EEST = 02:00Z
    ("Europe/Bucharest", {6: ((time(3, 30), time(5)),)}, SPRING, 30, 15, ["03-29 01:00", "03-29 01:15", "03-29 01:30"]),
    # the same hours the day before: 03:30-05:00 EET = 01:30Z-03:00Z
    ("Europe/Bucharest", {5: ((time(3, 30), time(5)),)}, SPRING, 30, 15,
     ["03-28 01:30", "03-28 01:45", "03-28 02:00", "03-28 02:15", "03-28 02:30"]),
    # 00:00-03:00 on 1 November in New York is four real hours: 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST
    ("America/New_York", {6: ((time(0), time(3)),)}, AUTUMN, 60, 60,
     ["11-01 04:00", "11-01 05:00", "11-01 06:00", "11-01 07:00"]),
    # 01:30-03:00: 01:30 EDT (05:30Z) to the change, then 01:30 EST (06:30Z) to 03:00 EST (08:00Z);
    # 01:00-01:30 EST (06:00Z-06:30Z) reads outside the hours
    ("America/New_York", {6: ((time(1, 30), time(3)),)}, AUTUMN, 30, 15,
     ["11-01 05:30", "11-01 06:30", "11-01 06:45", "11-01 07:00", "11-01 07:15", "11-01 07:30"]),
])
def test_working_hours_in_a_dst_gap_or_overlap(tz, days, window, minutes, step, expected):
    """GIVEN working hours that touch the hour that never happens (spring) or happens twice (autumn) WHEN
    that weekend is searched THEN slots are only at real instants whose local time is in the hours, each once."""
    rules = Rules(duration=timedelta(minutes=minutes), step=timedelta(minutes=step), min_notice=timedelta(0))
    slots = free_slots(user=Person(WorkingHours(tz, days)), start=window[0], end=window[1], now=NOW, rules=rules)
    assert starts(slots) == expected and len({s.start for s in slots}) == len(slots)


TUESDAY = (z("2026-02-03T00:00"), z("2026-02-04T00:00"))
UTC_DAY = WorkingHours.default("UTC")


@pytest.mark.parametrize(("busy", "others_busy", "before", "after", "morning"), [
    # no buffers; busy 10:00-10:30, 10:15-11:00, 11:00-11:30 merge into 10:00-11:30; touching is fine
    ([("10:15", "11:00"), ("10:00", "10:30"), ("11:00", "11:30")], [], 0, 0,
     ["09:00", "09:15", "09:30", "11:30", "11:45"]),
    # 15 minutes either side of 10:00-11:00: a slot must end by 09:45 or start from 11:15
    ([("10:00", "11:00")], [], 15, 15, ["09:00", "09:15", "11:15", "11:30", "11:45"]),
    # half an hour clear before the new meeting only: it cannot start until 11:30
    ([("10:00", "11:00")], [], 30, 0, ["09:00", "09:15", "09:30", "11:30", "11:45"]),
    # half an hour clear after the new meeting only: it must end by 09:30, may start at 11:00
    ([("10:00", "11:00")], [], 0, 30, ["09:00", "11:00", "11:15", "11:30", "11:45"]),
    # somebody else's 09:30-10:00 counts with the buffers too: slots must end by 09:15 or start from 10:15
    ([], [("09:30", "10:00")], 15, 15, ["10:15", "10:30", "10:45", "11:00", "11:15", "11:30", "11:45"]),
])
def test_busy_times_and_buffers(busy, others_busy, before, after, morning):
    """GIVEN busy intervals (unsorted, overlapping, touching) and buffers before/after the new meeting WHEN a
    UTC 09-17 Tuesday morning is searched THEN a slot keeps its buffers clear of anybody's busy time."""
    def span(pairs):
        return tuple((z(f"2026-02-03T{a}"), z(f"2026-02-03T{b}")) for a, b in pairs)
    rules = Rules(duration=timedelta(minutes=30), buffer_before=timedelta(minutes=before),
                  buffer_after=timedelta(minutes=after), min_notice=timedelta(0))
    slots = free_slots(user=Person(UTC_DAY, span(busy)), others=[Person(UTC_DAY, span(others_busy))],
                       start=TUESDAY[0], end=TUESDAY[1], now=NOW, rules=rules)
    assert [s[6:] for s in starts(slots) if s[6:] < "12:00"] == morning


@pytest.mark.parametrize(("now", "notice", "first", "count"), [
    ("09:10", timedelta(hours=2), "11:15", 22),  # not before 11:10, on the quarter-hour grid
    ("09:10", timedelta(0), "09:15", 30),
    ("16:31", timedelta(0), None, 0),  # too late for a half hour before 17:00
])
def test_minimum_notice(now, notice, first, count):
    """GIVEN it is `now` on a UTC 09-17 Tuesday WHEN slots are searched with a minimum notice THEN the first
    slot is the first quarter-hour after now + notice."""
    rules = Rules(duration=timedelta(minutes=30), min_notice=notice)
    slots = free_slots(user=Person(UTC_DAY), start=TUESDAY[0], end=TUESDAY[1], now=z(f"2026-02-03T{now}"), rules=rules)
    assert len(slots) == count and (starts(slots)[0][6:] if slots else None) == first


def test_max_per_day_counts_the_users_local_day():
    """GIVEN a user in Auckland (UTC+13 in February) working 09-17, already at the limit on one local day
    WHEN a window covering Wednesday 4 February local (3 Feb 20:00Z - 4 Feb 04:00Z) is searched THEN the
    count for 4 February (local) closes the day, a count for 3 February (the UTC date) does not."""
    user = Person(WorkingHours.default("Pacific/Auckland"))
    rules = Rules(duration=timedelta(minutes=30), min_notice=timedelta(0), max_per_day=2)

    def search(counts):
        return free_slots(user=user, start=z("2026-02-03T11:00"), end=z("2026-02-04T11:00"), now=NOW, rules=rules,
                          meetings_per_day=counts)
    assert search({date(2026, 2, 4): 2}) == []
    open_day = search({date(2026, 2, 3): 5, date(2026, 2, 4): 1})
    assert len(open_day) == 31 and starts(open_day)[0] == "02-03 20:00" and starts(open_day)[-1] == "02-04 03:30"


# Bucharest in February is UTC+2: 07:00Z is 09:00 local, 12:00Z is 14:00 local.
OFFERED = [Slot(z(a), z(a) + timedelta(minutes=30)) for a in (
    "2026-02-03T07:00", "2026-02-03T07:30", "2026-02-03T12:00", "2026-02-03T12:30",  # Tuesday
    "2026-02-04T08:00", "2026-02-04T12:15",  # Wednesday
    "2026-02-05T07:00",  # Thursday
    "2026-02-06T13:00",  # Friday
    "2026-02-06T22:30",  # Saturday 00:30 local
)]


@pytest.mark.parametrize(("slots", "limit", "preferred", "expected"), [
    (OFFERED, 3, (), ["02-03 07:00", "02-04 08:00", "02-05 07:00"]),  # one per day, soonest days
    (OFFERED, 3, ((time(14), time(16)),), ["02-03 12:00", "02-04 12:15", "02-05 07:00"]),  # afternoons first
    (OFFERED[:6], 3, (), ["02-03 07:00", "02-03 07:30", "02-04 08:00"]),  # two days: a second slot on Tuesday
    (OFFERED[:6], 5, ((time(14), time(16)),), ["02-03 07:00", "02-03 12:00", "02-03 12:30", "02-04 08:00", "02-04 12:15"]),
    # 22:30Z on Friday is Saturday 00:30 in Bucharest: a day of its own, so it beats Friday's second slot
    ([OFFERED[7], Slot(z("2026-02-06T13:30"), z("2026-02-06T14:00")), OFFERED[8]], 2, (), ["02-06 13:00", "02-06 22:30"]),
    ([Slot(z("2026-02-03T07:00"), z("2026-02-03T07:30")), Slot(z("2026-02-03T07:15"), z("2026-02-03T07:45")),
      Slot(z("2026-02-03T07:30"), z("2026-02-03T08:00"))], 3, (), ["02-03 07:00", "02-03 07:30"]),  # no overlap
])
def test_proposals_spread_over_days_and_prefer_the_preferred_hours(slots, limit, preferred, expected):
    """GIVEN free slots over several Bucharest days WHEN up to `limit` are proposed THEN they spread one per
    local day first, a day's slot in the preferred hours wins, second slots come only when days run out,
    and no two overlap."""
    assert starts(propose(slots, zone="Europe/Bucharest", limit=limit, preferred=preferred)) == expected


def test_default_working_hours_are_monday_to_friday_nine_to_five():
    """GIVEN no settings WHEN the default hours are made THEN Monday-Friday 09:00-17:00, weekends off."""
    assert WorkingHours.default("Europe/Bucharest").days == {d: ((time(9), time(17)),) for d in range(5)}


@pytest.mark.parametrize("call", [
    lambda: free_slots(user=Person(UTC_DAY), start=datetime(2026, 2, 3), end=TUESDAY[1], now=NOW, rules=HALF_HOUR),
    lambda: free_slots(user=Person(UTC_DAY), start=TUESDAY[0], end=TUESDAY[1], now=datetime(2026, 2, 1),
                       rules=HALF_HOUR),
    lambda: free_slots(user=Person(UTC_DAY), start=TUESDAY[1], end=TUESDAY[0], now=NOW, rules=HALF_HOUR),
    lambda: free_slots(user=Person(UTC_DAY, ((datetime(2026, 2, 3, 9), datetime(2026, 2, 3, 10)),)),
                       start=TUESDAY[0], end=TUESDAY[1], now=NOW, rules=HALF_HOUR),
    lambda: Rules(duration=timedelta(0)),
    lambda: Rules(duration=timedelta(minutes=-30)),
    lambda: Rules(duration=timedelta(minutes=30), step=timedelta(0)),
    lambda: Rules(duration=timedelta(minutes=30), buffer_before=timedelta(minutes=-5)),
    lambda: WorkingHours.default("Mars/Olympus"),
    lambda: WorkingHours("UTC", {7: ((time(9), time(17)),)}),
    lambda: WorkingHours("UTC", {0: ((time(17), time(9)),)}),
    lambda: propose(OFFERED, zone="Not/AZone"),
])
def test_bad_slot_arguments_raise_value_error(call):
    """GIVEN a naive time, a window or busy time backwards, a duration or step of zero or less, a negative
    buffer, an unknown zone or a bad weekday or range WHEN called THEN ValueError with a message."""
    with pytest.raises(ValueError, match=r"\w"):
        call()
