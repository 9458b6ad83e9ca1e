"""The long tail of services (Telegram, Discord, Teams, ntfy, Matrix, Gotify, Pushover, ...) through
Apprise URLs, rather than a hand-written client each.

Apprise's plugins open their own connections, so the outbound policy cannot pin them the way
`notify_http` does. `send` runs in the sandbox child, where every name the plugin resolves passes
the policy first (`socket.getaddrinfo` is wrapped there, and only there): a URL that leads to a
loopback, private or metadata address under `OPENFYXER_OUTBOUND=public` fails before a connection
is made. Apprise says only whether the service took the message, not why not."""

from __future__ import annotations

import socket

MAX_BODY = 4000


def describe(url: str) -> str | None:
    """What the user sees of an Apprise URL (its secrets masked), or None when Apprise does not know it."""
    import apprise

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    return plugin.url(privacy=True)[:200] if plugin else None


def send(url: str, title: str, body: str) -> tuple[bool, str | None]:
    """In the sandbox: (whether the service accepted it, why not when the policy refused an address)."""
    import apprise

    from openfyxer.security import outbound

    refused: list[str] = []
    real = socket.getaddrinfo

    def checked(host, port, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        infos = real(host, port, *args, **kwargs)
        for info in infos:
            reason = outbound.check_address(info[4][0])
            if reason:
                refused.append(f"{host} is {reason}")
                raise OSError(f"refused by the server's outbound policy: {host} is {reason}")
        return infos

    socket.getaddrinfo = checked
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return False, "Apprise does not know this URL"
    ok = bool(notifier.notify(title=title[:250], body=body[:MAX_BODY]))
    return ok, (f"refused by the server's outbound policy: {refused[0]}" if refused else None)
