"""`python -m bench.dashboard`: how the dashboard feels with 10,000 emails in the mailbox.

The production app (`tests.apprunner.start_app`, as `make run` starts it, fresh SQLite database)
gets one user, registered through the REST API, whose one IMAP account holds 10,000 inbox
messages written by the sync's own storage code (`services.mailstore.store_chunk`, one
transaction) from the SpamAssassin corpus (`bench.corpus`, 6,046 real messages; later copies get
their own Message-IDs and threads), then sorted the way triage leaves them: received over the
last 60 days, spam under "spam", list mail mostly under "newsletter", the rest spread over
urgent / to respond / FYI, recent mail more often unread. A real Chromium (Debian's, as in
tests/test_app_prod.py) then measures:

first_page_s  the median of 3 sign-ins, each in a fresh browser profile: seconds from the click
              on "Sign in" (form already filled, page hydrated) until the inbox shows its first
              page of rows (`#email-list .email-row` visible). Sign-in always lands on Home ("/"),
              so the user's path is timed whole: click -> Home shows the signed-in address ->
              click the Inbox link in the navigation (client-side, no reload) -> rows. Home's own
              loading is therefore included, as the user waits for it too. Progress lines split
              the two legs and also time opening /inbox as a fresh page load (page.goto, signed
              in by cookie); those are not in the JSON.
event_p95_ms  the 95th percentile over 40 clicks on the category tabs (`#tab-<category>`), each
              to a different category than the one shown (after 2 unmeasured warm-up clicks).
              Timed inside the page with performance.now(): from the button's click event
              until the DOM shows that tab aria-pressed="true" and a different set of rows
              (a MutationObserver checks after every change). This is the Reflex round trip:
              the event over the websocket, the handler's queries, the state delta, React's render.
action_p95_ms the 95th percentile over 20 archives from the keyboard (after 2 warm-up ones): "j" puts
              the keys on the next row, then from the "e" keydown until that row has left the list
              (assets/keys.js selects it and presses Archive; the handler archives it, declares the
              server mirror and sends the new page). The seeded account has no server, so the
              mirror's time (`mirror_p95_s` of issue 17) is not measured here.

Background mail sync is held off (OPENFYXER_SYNC_INTERVAL_SECONDS=86400) because the seeded
account points at no real server; the rate limit is lifted. The last stdout line is the JSON
figures; progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

EMAILS = 10_000
DAYS = 60
SIGN_INS = 3
WARMUP_CLICKS = 2
CLICKS = 40
SEED = 20240601
CATEGORIES = ("urgent", "to_respond", "fyi", "newsletter", "spam")
UI_TIMEOUT_MS = 60_000


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- seeding (child process)


def _copy_id(copy: int, value: str) -> str:
    """The n-th reuse of a corpus message gets its own Message-ID (and thread) so it is a new email."""
    if copy == 0:
        return value
    return f"<c{copy}.{value.strip().strip('<>')}"[:990] + ">"


def _category(rng: random.Random, group: str, p) -> str:  # noqa: ANN001
    if group.startswith("spam"):
        return "spam"
    if (p.list_unsubscribe or p.list_id or (p.precedence or "").lower() in ("bulk", "list")) and rng.random() < 0.7:
        return "newsletter"
    return rng.choices(("urgent", "to_respond", "fyi"), weights=(8, 35, 57))[0]


def seed(user_email: str, count: int) -> None:
    """Run with the app's environment: store `count` inbox emails for the user in one transaction."""
    from dataclasses import replace

    from sqlalchemy import update
    from sqlmodel import select

    from bench.corpus import messages
    from openfyxer.core.db import session_scope
    from openfyxer.models.account import EmailAccount, MailFolder
    from openfyxer.models.email import Email
    from openfyxer.models.user import User
    from openfyxer.services.mail import mailstore, parsing

    t0 = time.perf_counter()
    corpus = messages()
    pool = parsing.pool_for(len(corpus))
    chunks = [corpus[i:i + 500] for i in range(0, len(corpus), 500)]
    futures = [parsing.submit(pool, [raw for _, raw in chunk], 10 * 1024 * 1024) for chunk in chunks]
    parsed = [p for f in futures for p in f.result()]
    parsing.shutdown()
    _log(f"seed: parsed {len(corpus)} corpus messages in {time.perf_counter() - t0:.1f}s")

    rng = random.Random(SEED)
    now = datetime.now(UTC)
    items, verdicts, seen = [], [], set()
    for i in range(count):
        group, raw = corpus[i % len(corpus)]
        p = parsed[i % len(corpus)]
        copy = i // len(corpus)
        message_id = _copy_id(copy, p.message_id)
        if message_id in seen:  # the corpus repeats a few Message-IDs
            message_id = f"<d{i}.{message_id.strip('<>')}"[:990] + ">"
        seen.add(message_id)
        received = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        fresh = now - received < timedelta(days=2)
        flags = () if rng.random() < (0.6 if fresh else 0.08) else ("\\Seen",)
        p = replace(p, message_id=message_id, thread_id=_copy_id(copy, p.thread_id), date=received)
        items.append(mailstore.Fetched(uid=i + 1, flags=flags, raw=raw, parsed=p))
        category = _category(rng, group, p)
        verdicts.append((category, received))

    t0 = time.perf_counter()
    with session_scope() as s:
        user = s.exec(select(User).where(User.email == user_email)).one()
        account = EmailAccount(user_id=user.id, provider="imap", email_address=user_email, username=user_email,
                               imap_host="imap.example.com", imap_port=993, imap_security="ssl",
                               smtp_host="smtp.example.com", smtp_port=465, smtp_security="ssl",
                               last_sync=now, sync_done=count, sync_total=count)
        s.add(account)
        s.flush()
        folder = MailFolder(account_id=account.id, name="INBOX", role="inbox", uidvalidity=1, last_uid=count,
                            last_synced_at=now)
        s.add(folder)
        s.flush()
        stored, ids = mailstore.store_chunk(s, account=account, folder=folder, uidvalidity=1, items=items)
        by_message = {it.parsed.message_id: v for it, v in zip(items, verdicts, strict=True)}
        rows = s.exec(select(Email.id, Email.message_id).where(Email.account_id == account.id)).all()
        s.execute(update(Email), [
            {"id": email_id, "category": by_message[mid][0], "needs_reply": by_message[mid][0] in ("urgent", "to_respond"),
             "triage_reason": "bench seed", "triaged_by": "model", "processed_at": by_message[mid][1] + timedelta(seconds=5)}
            for email_id, mid in rows])
    _log(f"seed: stored {stored} emails in one transaction in {time.perf_counter() - t0:.1f}s")
    if stored != count:
        raise SystemExit(f"seed: expected {count} new emails, stored {stored}")
    _explain(user_email)


def _explain(user_email: str) -> None:
    """What the dashboard's queries cost on this database (diagnostics for the report)."""
    from sqlmodel import select

    from openfyxer.core.db import session_scope
    from openfyxer.models.user import User
    from openfyxer.services.mail import emails

    with session_scope() as s:
        user = s.exec(select(User).where(User.email == user_email)).one()
        for name, call in (
            ("category_counts", lambda: emails.category_counts(s, user=user)),
            ("daily_counts(14)", lambda: emails.daily_counts(s, user=user, days=14)),
            *((f"list_emails({c})", lambda c=c: emails.list_emails(s, user=user, category=c, limit=50))
              for c in CATEGORIES),
        ):
            call()  # warm the page cache
            t0 = time.perf_counter()
            for _ in range(5):
                out = call()
            took = (time.perf_counter() - t0) / 5 * 1000
            total = out[1] if isinstance(out, tuple) else ""
            _log(f"seed: query {name}: {took:.1f} ms {'(total ' + str(total) + ')' if total != '' else ''}")


# --------------------------------------------------------------------------- the browser (parent process)

ARM_TAB_CLICK = """
sel => {
  const btn = document.querySelector(sel);
  const key = () => Array.from(document.querySelectorAll('#email-list .email-row'))
    .map(a => a.getAttribute('href')).join('|');
  const before = key();
  window.__benchClick = new Promise((resolve, reject) => {
    let t0 = null;
    btn.addEventListener('click', () => { t0 = performance.now(); }, {capture: true, once: true});
    const done = () => t0 !== null && btn.getAttribute('aria-pressed') === 'true' && key() !== before;
    const obs = new MutationObserver(() => {
      if (done()) { obs.disconnect(); resolve(performance.now() - t0); }
    });
    obs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    setTimeout(() => { obs.disconnect(); reject(new Error('view did not change within 30 s')); }, 30000);
  });
}
"""

# The archive key: from the "e" keydown (captured before assets/keys.js acts on it) until the row the
# keys were on has left the list. Resolves with milliseconds.
ARM_ARCHIVE_KEY = """
() => {
  window.__benchAction = new Promise((resolve, reject) => {
    const onKey = (ev) => {
      if (ev.key !== 'e') return;
      document.removeEventListener('keydown', onKey, true);
      const current = document.querySelector('#email-list .email-row[data-key-current]');
      const href = current && current.getAttribute('href');
      if (!href) { reject(new Error('no row under the keys')); return; }
      const t0 = performance.now();
      const gone = () => !document.querySelector(`#email-list .email-row[href="${href}"]`);
      const obs = new MutationObserver(() => { if (gone()) { obs.disconnect(); resolve(performance.now() - t0); } });
      obs.observe(document.body, {subtree: true, childList: true, attributes: true});
      setTimeout(() => { obs.disconnect(); reject(new Error('the row did not leave within 30 s')); }, 30000);
    };
    document.addEventListener('keydown', onKey, true);
  });
}
"""
ARCHIVES = 20


def _archive_keys(app, open_context, email: str, password: str) -> list[float]:  # noqa: ANN001
    """Milliseconds from the archive key to the row gone, per archived message (after 2 warm-up ones)."""
    from playwright.sync_api import expect

    from tests.test_app_prod import path_is

    context = open_context()
    try:
        page = context.new_page()
        _login_form(page, app, email, password)
        page.click("#login-submit")
        expect(page).to_have_url(path_is(app, "/"), timeout=UI_TIMEOUT_MS)
        page.click('nav a[href="/inbox"]')
        page.locator("#email-list .email-row").first.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
        page.locator("#main h1").click()  # the keys act outside any field
        times = []
        for n in range(WARMUP_CLICKS + ARCHIVES):
            page.keyboard.press("j")
            page.evaluate(ARM_ARCHIVE_KEY)
            page.keyboard.press("e")
            ms = page.evaluate("window.__benchAction")
            page.locator("#undo-bar").wait_for(state="visible", timeout=UI_TIMEOUT_MS)
            if n >= WARMUP_CLICKS:
                times.append(ms)
        return times
    finally:
        context.close()


def _login_form(page, app, email: str, password: str) -> None:  # noqa: ANN001
    """The sign-in page, hydrated and filled, ready for the click."""
    from tests.test_app_prod import wait_hydrated

    page.goto(f"{app.url}/login")
    wait_hydrated(page, "#login-submit")
    page.fill("#email", email)
    page.fill("#password", password)


def _sign_in_to_inbox(app, open_context, email: str, password: str) -> tuple[float, float, float]:  # noqa: ANN001
    """(click -> Home, Home -> inbox rows, fresh /inbox page load) in seconds, one fresh profile."""
    from playwright.sync_api import expect

    from tests.test_app_prod import path_is

    context = open_context()
    try:
        page = context.new_page()
        _login_form(page, app, email, password)
        t0 = time.perf_counter()
        page.click("#login-submit")
        expect(page).to_have_url(path_is(app, "/"), timeout=UI_TIMEOUT_MS)
        expect(page.locator("#signed-in-as")).to_have_text(email, timeout=UI_TIMEOUT_MS)
        t1 = time.perf_counter()
        page.click('nav a[href="/inbox"]')
        page.locator("#email-list .email-row").first.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
        t2 = time.perf_counter()
        page.goto("about:blank")
        t3 = time.perf_counter()
        page.goto(f"{app.url}/inbox")
        page.locator("#email-list .email-row").first.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
        t4 = time.perf_counter()
        return t1 - t0, t2 - t1, t4 - t3
    finally:
        context.close()


def _tab_clicks(app, open_context, email: str, password: str) -> list[float]:  # noqa: ANN001
    """Milliseconds per measured tab click, in-page; each click shows a different category."""
    from playwright.sync_api import expect

    from tests.test_app_prod import path_is

    context = open_context()
    try:
        page = context.new_page()
        _login_form(page, app, email, password)
        page.click("#login-submit")
        expect(page).to_have_url(path_is(app, "/"), timeout=UI_TIMEOUT_MS)
        page.click('nav a[href="/inbox"]')
        page.locator("#email-list .email-row").first.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
        active = page.locator('[id^="tab-"][aria-pressed="true"]').get_attribute("id").removeprefix("tab-")
        cut = CATEGORIES.index(active) + 1
        order = CATEGORIES[cut:] + CATEGORIES[:cut]  # never the tab already shown
        times = []
        for n in range(WARMUP_CLICKS + CLICKS):
            selector = f"#tab-{order[n % len(order)]}"
            page.evaluate(ARM_TAB_CLICK, selector)
            page.click(selector)
            ms = page.evaluate("window.__benchClick")
            if n >= WARMUP_CLICKS:
                times.append(ms)
        return times
    finally:
        context.close()


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def main() -> None:
    import httpx
    from playwright.sync_api import sync_playwright

    from tests.apprunner import ROOT, start_app
    from tests.helpers import PASSWORD
    from tests.test_app_prod import CHROMIUM, CHROMIUM_ARGS, DESKTOP

    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    t0 = time.perf_counter()
    app = start_app({"OPENFYXER_RATE_LIMIT_PER_MINUTE": "1000000", "OPENFYXER_SYNC_INTERVAL_SECONDS": "86400"})
    try:
        _log(f"app up on {app.url} in {time.perf_counter() - t0:.0f}s")
        r = httpx.post(f"{app.url}/api/v1/auth/register", json={"email": email, "password": PASSWORD}, timeout=30)
        r.raise_for_status()
        subprocess.run([sys.executable, "-m", "bench.dashboard", "--seed", email, str(EMAILS)], cwd=ROOT,
                       env=app.env, check=True, stdout=sys.stderr)
        tokens = httpx.post(f"{app.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD},
                            timeout=30).json()
        total = httpx.get(f"{app.url}/api/v1/emails", params={"limit": 1},
                          headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=60).json()["total"]
        _log(f"the API lists {total} inbox emails for {email}")
        if total != EMAILS:
            raise SystemExit(f"expected {EMAILS} emails in the inbox, the API lists {total}")

        with sync_playwright() as pw:
            profiles = []

            def open_context():  # noqa: ANN202
                profile = app.tmp / f"profile-{len(profiles)}"
                profiles.append(profile)
                context = pw.chromium.launch_persistent_context(
                    str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, viewport=DESKTOP)
                context.set_default_timeout(UI_TIMEOUT_MS)
                return context

            firsts = []
            for n in range(SIGN_INS):
                to_home, to_inbox, reload = _sign_in_to_inbox(app, open_context, email, PASSWORD)
                firsts.append(to_home + to_inbox)
                _log(f"sign-in {n + 1}: click -> Home {to_home:.2f}s, Home -> inbox rows {to_inbox:.2f}s, "
                     f"total {to_home + to_inbox:.2f}s; fresh /inbox page load -> rows {reload:.2f}s")
            clicks = _tab_clicks(app, open_context, email, PASSWORD)
            archives = _archive_keys(app, open_context, email, PASSWORD)
        _log(f"tab clicks (ms): min {min(clicks):.0f}, median {statistics.median(clicks):.0f}, "
             f"max {max(clicks):.0f}; all: {' '.join(f'{c:.0f}' for c in clicks)}")
        _log(f"archive key -> row gone (ms): median {statistics.median(archives):.0f}, max {max(archives):.0f}")
        figures = {"emails": total, "first_page_s": round(statistics.median(firsts), 2),
                   "event_p95_ms": round(_p95(clicks), 1), "action_p95_ms": round(_p95(archives), 1)}
    except BaseException:
        _log("--- app log ---\n" + app.log_tail(3000))
        raise
    finally:
        app.cleanup()
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--seed":
        seed(sys.argv[2], int(sys.argv[3]))
    else:
        main()
