"""Where the server may connect when a user names the place: one policy for mail servers, the Exchange
URL and webhooks (OPENFYXER_OUTBOUND, OPENFYXER_OUTBOUND_ALLOW).

Without it, "connect an account" is a port scanner that reads out banners: the server connects to
whatever the user typed (127.0.0.1:6379, 169.254.169.254) and reports what answered. Under "public" a
destination must resolve to internet addresses only, on the protocol's usual ports, over TLS;
"allowlist" reaches only what the operator listed; "any" checks nothing (the single-user install,
whose user is the operator).

A name is resolved once, here, and the caller connects to the address that was checked while TLS
keeps the name (SNI and the certificate check): letting the library resolve again would let a DNS
answer that changed in between (rebinding) reach an address nobody checked.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from openfyxer.core.config import get_settings
from openfyxer.core.errors import OpenFyxerError, ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Under "public", what a destination that is not allow-listed may be reached on.
MAIL_PORTS = {"IMAP": (993, 143), "SMTP": (465, 587, 25, 2525)}
HTTPS_PORTS = (443,)
TLS_SECURITY = ("ssl", "starttls")

_REFUSED = "refused by the server's outbound policy"
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(OpenFyxerError):
    """The server's outbound policy does not allow this destination."""

    status = 400
    code = "outbound_refused"


class HostNotFound(OpenFyxerError):
    """The host name does not resolve."""

    status = 400
    code = "host_not_found"


@dataclass(frozen=True)
class Target:
    host: str  # as the user gave it: TLS sends it as SNI and checks the certificate against it
    port: int
    address: str  # where to connect: the checked IP, or the host itself when the policy checks nothing


@dataclass(frozen=True)
class Policy:
    """The rules in force: the mode and what the operator allow-listed."""

    mode: str  # any | public | allowlist
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    names: frozenset[str] = frozenset()

    def lists_address(self, ip: IPAddress) -> bool:
        return any(a in n for a in {ip, _embedded_ipv4(ip)} for n in self.networks)

    def lists_name(self, host: str) -> bool:
        return bool(self.names) and _ascii(host) in self.names


def current() -> Policy:
    """The policy the settings ask for."""
    s = get_settings()
    networks, names = s.outbound_allowed()
    return Policy(s.outbound_mode, networks, names)


def _ascii(host: str) -> str:
    try:
        return host.strip("[]").rstrip(".").lower().encode("idna").decode("ascii")
    except UnicodeError:
        return host.lower()


def _embedded_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 form reaches (::ffff:10.0.0.1, 6to4, NAT64), else the address itself."""
    if ip.version == 6:
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip.sixtofour:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _unfit(ip: IPAddress) -> str | None:
    """What makes an address unfit for "public"; None for an internet address."""
    ip = _embedded_ipv4(ip)
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address (this server itself)"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip in _CGNAT:
        return "a carrier-grade NAT address"
    if any(ip in n for n in _PRIVATE):
        return "a private network address"
    if not ip.is_global:
        return "a reserved or broadcast address"
    return None


def check_address(ip: str | IPAddress, policy: Policy | None = None) -> str | None:
    """Why the server may not connect to `ip` (a few words for an error message); None: it may."""
    policy = policy or current()
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if policy.mode == "any" or policy.lists_address(addr):
        return None
    if policy.mode == "allowlist":
        return "an address that is not on the server's outbound allow-list"
    return _unfit(addr)


def resolve(host: str, port: int, *, purpose: str) -> str:
    """The address to connect to for `host`: resolved once and checked (the host itself under "any").

    Raises OutboundRefused when any address the name resolves to is refused, HostNotFound when it
    resolves to nothing."""
    return _checked(host, port, purpose, current())[0]


def _checked(host: str, port: int, purpose: str, policy: Policy) -> tuple[str, bool]:
    """(address, whether the operator allow-listed the destination)."""
    if policy.mode == "any":
        return host, False
    name = host.strip("[]")
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        raise HostNotFound(f"the {purpose} {host} could not be found: its name does not resolve") from e
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise HostNotFound(f"the {purpose} {host} could not be found: its name does not resolve")
    if policy.lists_name(name):
        return addresses[0], True
    ips = [ipaddress.ip_address(a) for a in addresses]
    for ip in ips:
        reason = check_address(ip, policy)
        if reason:
            verb = "is" if _is_literal(name) else "resolves to"
            raise OutboundRefused(f"cannot connect to the {purpose} {host}: it {verb} {reason}, {_REFUSED}")
    return addresses[0], all(policy.lists_address(ip) for ip in ips)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def mail_target(host: str, port: int, security: str, *, protocol: str) -> Target:
    """Where to connect for an "IMAP" or "SMTP" server: outside "any", TLS (implicit or STARTTLS) and,
    unless the operator allow-listed the server, one of the protocol's ports."""
    policy = current()
    if policy.mode == "any":
        return Target(host, port, host)
    purpose = f"{protocol} server"
    if security not in TLS_SECURITY:
        raise OutboundRefused(f"the {purpose} {host} must be reached over SSL/TLS or STARTTLS: "
                              f"a connection without encryption is {_REFUSED}")
    address, listed = _checked(host, port, purpose, policy)
    ports = MAIL_PORTS[protocol]
    if not listed and port not in ports:
        raise OutboundRefused(f"port {port} is not an {protocol} port ({', '.join(map(str, ports))}): "
                              f"the {purpose} {host} on it is {_REFUSED}")
    return Target(host, port, address)


def url_target(url: str, *, purpose: str) -> Target:
    """Where to connect for an http(s) URL: outside "any", https and, unless allow-listed, port 443."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
    except ValueError:
        port = None
    host = parts.hostname or ""
    if not host or port is None:
        raise ValidationError(f"the {purpose} must be an http(s) URL with a host name")
    policy = current()
    if policy.mode == "any":
        return Target(host, port, host)
    if scheme != "https":
        raise OutboundRefused(f"the {purpose} must be an https:// URL: plain http is {_REFUSED}")
    address, listed = _checked(host, port, purpose, policy)
    if not listed and port not in HTTPS_PORTS:
        raise OutboundRefused(f"port {port} is not the HTTPS port (443): the {purpose} on it is {_REFUSED}")
    return Target(host, port, address)


def check_url(url: str, *, purpose: str) -> None:
    """Refuse a URL saved now and used later (a webhook). It is checked again when used: what the
    name resolves to may change in between."""
    url_target(url, purpose=purpose)


class PinnedAdapter(HTTPAdapter):
    """A requests adapter for one checked Target: it connects to the checked address (TLS still
    checks the certificate against the name) and stops a request to any other host, so a redirect
    cannot lead past the policy. Mount it on every prefix of the session."""

    def __init__(self, target: Target, **kwargs):  # noqa: ANN003
        self.target = target  # before super().__init__, which builds the pools
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pinned_pools(self.target.address)

    def send(self, request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        parts = urlsplit(request.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if (_ascii(parts.hostname or ""), port) != (_ascii(self.target.host), self.target.port):
            raise OutboundRefused(f"a request to another server than {self.target.host} was stopped: "
                                  f"it was not checked against the server's outbound policy")
        return super().send(request, *args, **kwargs)


def _pinned_pools(address: str) -> dict[str, type[HTTPConnectionPool]]:
    def pinned(base: type[HTTPConnection]) -> type[HTTPConnection]:
        class Pinned(base):
            def _new_conn(self):  # noqa: ANN202
                # urllib3 dials _dns_host; `host` (read again after this) stays the name for TLS.
                name, self._dns_host = self._dns_host, address
                try:
                    return super()._new_conn()
                finally:
                    self._dns_host = name

        return Pinned

    class HttpPool(HTTPConnectionPool):
        ConnectionCls = pinned(HTTPConnection)

    class HttpsPool(HTTPSConnectionPool):
        ConnectionCls = pinned(HTTPSConnection)

    return {"http": HttpPool, "https": HttpsPool}
