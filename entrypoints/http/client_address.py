"""The client's address, as rate limits see it: the peer, or what trusted proxies say it was."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any

from litestar import Request

Network = IPv4Network | IPv6Network


def _ip(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address | None, proxies: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def resolve(peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str:
    """The address of whoever sent the request to the first proxy we trust.

    `X-Forwarded-For` counts only when the peer is a trusted proxy; it is read from the right (each
    proxy appends the address it saw), past every trusted proxy, to the first address we do not
    trust. Anything left of that was written by the client and could be forged.
    """
    if peer is None:
        return "unknown"
    if not _trusted(_ip(peer), proxies):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            break  # a garbled entry: trust nothing further left
        if not _trusted(address, proxies):
            return str(address)
    return peer


@cache
def _parsed(networks: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ip_network(network) for network in networks)


def client_address(request: Request[Any, Any, Any]) -> str:
    proxies = _parsed(request.app.state["services"].settings.trusted_proxies)
    peer = request.client.host if request.client else None
    if not proxies:
        return peer or "unknown"
    return resolve(peer, request.headers.getall("x-forwarded-for", []), proxies)
