"""The sender's zone from the city their signature names ("Ana Pop | Cluj-Napoca", "New York, NY").

A Date header gives only a fixed offset, which is wrong for a time named across the sender's DST
change; a city gives the IANA zone, whose offsets follow the sender's clock all year. The city is
believed only where a signature stands (the last lines of what they wrote) and, when the Date
header has an offset, only when the city's zone had that same offset when the mail was written:
someone from Bucharest writing from a trip to Denver is on Denver's clock.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from openfyxer.services.assistant.classify_text import fold

SIGNATURE_LINES = 8  # the lines read, counted from the end of the new text

_CITIES = {
    # Romania and Moldova, with and without diacritics (folded below)
    "bucuresti": "Europe/Bucharest", "bucharest": "Europe/Bucharest", "cluj-napoca": "Europe/Bucharest",
    "cluj": "Europe/Bucharest", "iasi": "Europe/Bucharest", "timisoara": "Europe/Bucharest",
    "brasov": "Europe/Bucharest", "constanta": "Europe/Bucharest", "sibiu": "Europe/Bucharest",
    "oradea": "Europe/Bucharest", "craiova": "Europe/Bucharest", "chisinau": "Europe/Chisinau",
    # Europe
    "london": "Europe/London", "londra": "Europe/London", "manchester": "Europe/London",
    "edinburgh": "Europe/London", "dublin": "Europe/Dublin", "lisbon": "Europe/Lisbon", "lisabona": "Europe/Lisbon",
    "paris": "Europe/Paris", "berlin": "Europe/Berlin", "munich": "Europe/Berlin", "munchen": "Europe/Berlin",
    "frankfurt": "Europe/Berlin", "hamburg": "Europe/Berlin", "amsterdam": "Europe/Amsterdam",
    "brussels": "Europe/Brussels", "bruxelles": "Europe/Brussels", "madrid": "Europe/Madrid",
    "barcelona": "Europe/Madrid", "rome": "Europe/Rome", "roma": "Europe/Rome", "milan": "Europe/Rome",
    "milano": "Europe/Rome", "vienna": "Europe/Vienna", "wien": "Europe/Vienna", "viena": "Europe/Vienna",
    "zurich": "Europe/Zurich", "geneva": "Europe/Zurich", "stockholm": "Europe/Stockholm", "oslo": "Europe/Oslo",
    "copenhagen": "Europe/Copenhagen", "helsinki": "Europe/Helsinki", "warsaw": "Europe/Warsaw",
    "varsovia": "Europe/Warsaw", "prague": "Europe/Prague", "praga": "Europe/Prague", "budapest": "Europe/Budapest",
    "sofia": "Europe/Sofia", "athens": "Europe/Athens", "atena": "Europe/Athens", "istanbul": "Europe/Istanbul",
    "kyiv": "Europe/Kyiv", "kiev": "Europe/Kyiv", "belgrade": "Europe/Belgrade", "belgrad": "Europe/Belgrade",
    # the Americas
    "new york": "America/New_York", "nyc": "America/New_York", "boston": "America/New_York",
    "washington, dc": "America/New_York", "washington dc": "America/New_York", "washington d.c.": "America/New_York",
    "atlanta": "America/New_York", "miami": "America/New_York", "toronto": "America/Toronto",
    "montreal": "America/Toronto", "chicago": "America/Chicago", "austin": "America/Chicago",
    "dallas": "America/Chicago", "houston": "America/Chicago", "denver": "America/Denver",
    "phoenix": "America/Phoenix", "seattle": "America/Los_Angeles", "san francisco": "America/Los_Angeles",
    "los angeles": "America/Los_Angeles", "vancouver": "America/Vancouver", "mexico city": "America/Mexico_City",
    "sao paulo": "America/Sao_Paulo", "buenos aires": "America/Argentina/Buenos_Aires",
    # Asia, Africa, Oceania
    "dubai": "Asia/Dubai", "tel aviv": "Asia/Jerusalem", "mumbai": "Asia/Kolkata", "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata", "delhi": "Asia/Kolkata", "singapore": "Asia/Singapore",
    "hong kong": "Asia/Hong_Kong", "shanghai": "Asia/Shanghai", "tokyo": "Asia/Tokyo", "seoul": "Asia/Seoul",
    "sydney": "Australia/Sydney", "melbourne": "Australia/Melbourne", "auckland": "Pacific/Auckland",
    "johannesburg": "Africa/Johannesburg", "cairo": "Africa/Cairo", "lagos": "Africa/Lagos",
    "nairobi": "Africa/Nairobi",
}
_CITY = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, _CITIES), key=len, reverse=True))
                   + r")(?![\w-])")


def signature_city_zone(text: str) -> str | None:
    """The IANA zone of the first city named in the signature lines (the last lines of `text`)."""
    lines = [line for line in text.strip().splitlines() if line.strip()][-SIGNATURE_LINES:]
    for line in lines:
        if len(line) > 120:  # a sentence of the mail, not a signature line
            continue
        found = _CITY.search(fold(line))  # "București" and "Bucuresti" are one city
        if found:
            return _CITIES[found.group(1)]
    return None


def city_zone_agrees(zone: str, written: datetime, offset_minutes: int | None) -> bool:
    """Whether the city's zone had the Date header's offset when the mail was written (no offset: yes)."""
    if offset_minutes is None:
        return True
    return written.astimezone(ZoneInfo(zone)).utcoffset() == timedelta(minutes=offset_minutes)
