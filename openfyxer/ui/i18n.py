"""English and Romanian for the dashboard: babel catalogs, and dates and numbers per locale.

Reflex compiles the pages to JavaScript once for every user, so a visible string cannot be
translated per request on the server: `t()` puts both texts in the page and the signed-in user's
language (SessionState.lang) picks one in the browser, so switching needs no rebuild and no reload.
Text that handlers make (notices, errors) is translated on the server with `gettext()`; `t()` itself is in ui/components/translated.py.

The catalogs are `openfyxer/locales/<lang>/LC_MESSAGES/messages.po`, read with babel at start-up;
`python -m openfyxer.ui.i18n` re-extracts the template and updates them after strings change,
and tests/test_i18n.py fails while any string lacks its Romanian.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGS = ("en", "ro")
DEFAULT = "en"
LOCALES = Path(__file__).resolve().parents[1] / "locales"
# The names babel extracts: t() in components, gettext() and the states' self._t() in handlers.
KEYWORDS = {"t": None, "gettext": None, "_t": None, "N_": None}


def N_(msgid: str) -> str:  # noqa: N802
    """Marks a string for the catalog where it is defined; it is translated later, where shown."""
    return msgid


# What the services say most often, word for word, so the Romanian dashboard says it in Romanian.
# Messages that carry details (a host, an address) are translated by their error code instead.
SERVICE_MESSAGES = (
    N_("invalid email or password"),
    N_("invalid or already used two-factor code"),
    N_("two-factor code required"),
    N_("an account with this email already exists"),
    N_("your session has ended; sign in again"),
    N_("no such email"),
    N_("no such draft"),
    N_("no such account"),
    N_("a rejected draft cannot be sent"),
    N_("the draft still asks you something: answer it in the text, then send"),
    N_("the draft's mail account is gone"),
    N_("that is not one of the answers this email offers"),
    N_("a draft needs at least one recipient"),
    N_("two-factor authentication is already enabled"),
    N_("call 2fa/setup first"),
    N_("session revoked"),
    N_("registration is closed on this server"),
    N_("registration on this server needs an invitation"),
    N_("this invitation is not valid"),
    N_("invalid or already used recovery code"),
    N_("the current password is not right"),
    N_("two-factor authentication is not enabled"),
    N_("this invitation was already used"),
    N_("no such meeting"),
    N_("no such calendar event"),
)
ERROR_CODES = {
    "imap_auth_failed": N_("The mail server refused the sign-in: check the user name and the password or app password."),
    "smtp_auth_failed": N_("The outgoing mail server refused the sign-in: check the user name and password."),
    "ews_auth_failed": N_("Exchange refused the sign-in: check the user name and password."),
    "imap_unreachable": N_("The mail server cannot be reached: check its name, port and security."),
    "smtp_unreachable": N_("The outgoing mail server cannot be reached: check its name, port and security."),
    "ews_unreachable": N_("Exchange cannot be reached: check its address."),
    "account_exists": N_("This mail account is already connected."),
    "draft_locked": N_("This draft can no longer be changed."),
    "llm_unreachable": N_("The model does not answer: check the model settings."),
    "llm_auth": N_("The model provider refused the API key."),
    "oauth_not_configured": N_("This provider's sign-in is not set up on this server: its client id and secret go in .env."),
    "rate_limited": N_("Too many attempts: wait a minute and try again."),
    "login_delayed": N_("Too many failed sign-ins: wait a little before trying again."),
    "account_locked": N_("Too many failed sign-ins: this account is locked for a while."),
    "too_large": N_("The request is too large."),
    "outbound_refused": N_("This server's policy does not allow connecting to that address."),
    "host_not_found": N_("That server name does not exist: check its spelling."),
    "registration_closed": N_("New accounts cannot be created on this server."),
    "invitation_required": N_("An invitation code is needed to create an account here."),
    "invitation_invalid": N_("This invitation code is not valid: it may be used, expired or meant for another address."),
    "admin_only": N_("Only an administrator can do this."),
    "slot_taken": N_("That time is no longer free in your calendar: pick another."),
    "meeting_booked": N_("This meeting is already booked."),
    "no_calendar": N_("Connect a calendar first: the meeting needs one to go in."),
    "calendar_conflict": N_("The event changed in another calendar app meanwhile: its version is kept."),
    "meeting_unreadable": N_("This file cannot be read as a recording."),
    "meeting_no_audio": N_("This file has no sound track."),
    "meeting_empty": N_("This recording holds no sound."),
    "meeting_too_long": N_("This recording is longer than this server allows."),
    "meeting_too_large": N_("This recording is larger than this server allows."),
    "meeting_too_costly": N_("Reading this recording took more than a recording may cost."),
    "invalid_language": N_("That language is not one the speech model knows."),
    "whisper_unavailable": N_("The speech model is not installed on this server."),
}


def error_text(lang: str, message: str, code: str | None) -> str:
    """A service error in `lang`: its own words if the catalog has them, else the plain words for
    its code with the original (which names the host or address) in brackets."""
    translated = gettext(lang, message)
    if translated != message or pick(lang) == DEFAULT:
        return translated
    plain = ERROR_CODES.get(code or "")
    return f"{gettext(lang, plain)} ({message})" if plain else message


def pick(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT


def from_accept_language(header: str) -> str:
    """The first of our languages the browser asks for (quality order as sent), else English."""
    for part in (header or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return DEFAULT


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """msgid -> translation; untranslated and fuzzy entries are left out (they fall back to English)."""
    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not path.exists():
        return {}
    with open(path, "rb") as f:
        po = read_po(f, locale=lang)
    return {m.id: m.string for m in po if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def gettext(lang: str, msgid: str, **values: object) -> str:
    """The message in `lang`, with {name} placeholders filled after translating."""
    text = catalog(pick(lang)).get(msgid, msgid)
    return text.format(**values) if values else text


def when(value: datetime | None, lang: str, tz: str = "UTC") -> str:
    """A date and time as people of `lang` write it, in the user's time zone."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(tz or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return format_datetime(value, "d MMM yyyy, HH:mm", tzinfo=zone, locale=pick(lang))


def number(value: int | float, lang: str) -> str:
    return format_decimal(value, locale=pick(lang))


def extract():  # noqa: ANN201
    """The template catalog: every t()/gettext()/_t()/N_() string under openfyxer/ui."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    template = Catalog(project="OpenFyxer", version="0.1", msgid_bugs_address="", charset="utf-8")
    ui = Path(__file__).resolve().parent
    for filename, lineno, message, comments, context in extract_from_dir(
            ui, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("i18n:",)):
        template.add(message, locations=[(f"openfyxer/ui/{filename}", lineno)], auto_comments=comments,
                     context=context)
    return template


def _update_catalogs() -> None:
    """Write messages.pot and merge it into each language's messages.po: new strings arrive
    untranslated (the test lists them), gone ones are dropped."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = extract()
    LOCALES.mkdir(exist_ok=True)
    with open(LOCALES / "messages.pot", "wb") as f:
        write_po(f, template, sort_output=True)
    for lang in LANGS:
        if lang == DEFAULT:
            continue
        path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with open(path, "rb") as f:
                po = read_po(f, locale=lang)
        else:
            po = Catalog(locale=lang, project="OpenFyxer", version="0.1", charset="utf-8")
        po.update(template, no_fuzzy_matching=True)
        with open(path, "wb") as f:
            write_po(f, po, sort_output=True, ignore_obsolete=True)
    catalog.cache_clear()


if __name__ == "__main__":
    _update_catalogs()
