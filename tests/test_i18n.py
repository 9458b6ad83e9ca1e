"""The dashboard's English and Romanian: every string in the catalog and translated, no visible
string left out of it, and dates, numbers and errors per locale."""

from __future__ import annotations

import ast
import re
import string
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from openfyxer.core.errors import AuthError, OpenFyxerError
from openfyxer.ui import i18n

UI = Path(i18n.__file__).resolve().parent
RO_PO = i18n.LOCALES / "ro" / "LC_MESSAGES" / "messages.po"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_marked_string_has_its_romanian() -> None:
    """GIVEN the strings marked in openfyxer/ui (extracted as `python -m openfyxer.ui.i18n` does)
    THEN each has a Romanian translation that keeps its {placeholders}."""
    with open(RO_PO, "rb") as f:
        ro = {m.id: m.string for m in read_po(f, locale="ro") if m.id}
    marked = [m.id for m in i18n.extract() if m.id]
    assert len(marked) > 150
    missing = [msgid for msgid in marked if not ro.get(msgid)]
    assert missing == [], "run `python -m openfyxer.ui.i18n` and translate these in messages.po"
    wrong = [msgid for msgid in marked if _placeholders(msgid) != _placeholders(ro[msgid])]
    assert wrong == []


# Calls that put their text on the screen (first argument or these keywords).
_VISIBLE_CALLS = {"text", "button", "heading", "callout", "badge", "link", "label", "title", "description", "option",
                  "strong", "a", "frame", "auth_card", "_field", "_select", "_list"}
_VISIBLE_KEYWORDS = {"placeholder", "aria_label", "alt", "title", "name"}


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _is_words(value: object) -> bool:
    # Words a person reads: letters and a space, or a capitalised word; not ids, CSS or punctuation.
    return isinstance(value, str) and bool(re.search(r"[A-Za-z]{2}", value)) and (
        " " in value.strip() or value[:1].isupper()) and not value.startswith(("#", "/", "http"))


def test_no_visible_string_skips_the_catalog() -> None:
    """GIVEN the pages and components WHEN a literal English string is passed where text is shown
    THEN it must go through t() or N_() (the brand name and the languages' own names excepted)."""
    allowed = {"OpenFyxer", "English", "Română", "Main"}
    found = []
    for path in [*UI.glob("pages/*.py"), *UI.glob("components/*.py")]:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _call_name(node) in ("t", "N_"):
                continue
            texts = []
            if _call_name(node) in _VISIBLE_CALLS:
                texts += [a.value for a in node.args if isinstance(a, ast.Constant)]
            texts += [k.value.value for k in node.keywords
                      if k.arg in _VISIBLE_KEYWORDS and isinstance(k.value, ast.Constant)]
            found += [f"{path.name}:{node.lineno}: {v!r}" for v in texts if _is_words(v) and v not in allowed]
    assert found == []


def test_gettext_fills_placeholders_after_translating() -> None:
    assert i18n.gettext("ro", "Page {page} of {pages}", page=2, pages=7) == "Pagina 2 din 7"
    assert i18n.gettext("en", "Page {page} of {pages}", page=2, pages=7) == "Page 2 of 7"
    assert i18n.gettext("ro", "a sentence nobody translated") == "a sentence nobody translated"
    assert i18n.gettext("xx", "Inbox") == "Inbox"  # an unknown language falls back to English


def test_dates_and_numbers_follow_the_locale_and_time_zone() -> None:
    moment = datetime(2026, 11, 27, 21, 5, tzinfo=UTC)
    assert i18n.when(moment, "en", "Europe/Bucharest") == "27 Nov 2026, 23:05"
    assert i18n.when(moment, "ro", "Europe/Bucharest") == "27 nov. 2026, 23:05"
    assert i18n.when(moment, "en", "Not/AZone") == "27 Nov 2026, 21:05"  # a bad zone: UTC, not a crash
    assert i18n.when(None, "ro") == ""
    assert i18n.number(10000, "en") == "10,000"
    assert i18n.number(10000, "ro") == "10.000"


def test_browser_language_picks_the_first_one_we_have() -> None:
    assert i18n.from_accept_language("ro-RO,ro;q=0.9,en;q=0.8") == "ro"
    assert i18n.from_accept_language("de-DE,de;q=0.9,en-GB;q=0.8") == "en"
    assert i18n.from_accept_language("fr, ro;q=0.5") == "ro"
    assert i18n.from_accept_language("") == "en"


def test_service_errors_read_in_romanian() -> None:
    """A known message is translated word for word; one that names a host is explained by its code, with the
    original kept for the details; English passes through unchanged."""
    assert i18n.error_text("ro", "invalid email or password", "invalid_credentials") == "e-mail sau parolă greșită"
    refused = OpenFyxerError("the IMAP server refused the sign-in for ana", code="imap_auth_failed")
    text = i18n.error_text("ro", refused.message, refused.code)
    assert text.startswith("Serverul de e-mail a refuzat autentificarea") and text.endswith(
        "(the IMAP server refused the sign-in for ana)")
    assert i18n.error_text("en", refused.message, refused.code) == refused.message
    odd = AuthError("something new", code="unheard_of")
    assert i18n.error_text("ro", odd.message, odd.code) == "something new"
