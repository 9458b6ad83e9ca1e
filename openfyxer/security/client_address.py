"""Who is asking: the client's address, through our own proxies only.

The REST API (api/deps.client_ip) and the dashboard's handlers (which see the websocket's peer and
its headers) both ask this, so a sign-in is counted against the same address whichever door it uses.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from openfyxer.core.config import get_settings


def resolve(peer: str | None, forwarded_for: str | None) -> str | None:
    """The peer's address; behind a trusted proxy, the last address in X-Forwarded-For that is not
    one of our proxies (anything before it the client may have written itself)."""
    proxies = _trusted_proxies(get_settings().trusted_proxies)
    if not proxies or not _within(peer, proxies):
        return peer
    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, proxies):
            return hop[:45]
    return peer


def trusted(peer: str | None) -> bool:
    """The peer is one of our proxies, whose X-Forwarded-* headers may be believed."""
    return _within(peer, _trusted_proxies(get_settings().trusted_proxies))


@lru_cache
def _trusted_proxies(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in spec.split(",") if p.strip())


def _within(address: str | None, networks: tuple) -> bool:  # noqa: ANN001
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in n for n in networks if n.version == ip.version)
