"""Which address rate limits see: the peer, unless a proxy we trust forwarded the request."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

import pytest

from entrypoints.http.client_address import resolve
from entrypoints.settings import SettingsError
from tests.support.settings import make_settings

PROXIES = (ip_network("10.0.0.0/8"), ip_network("fd00::/8"))


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() -> None:
    assert resolve("203.0.113.7", ["198.51.100.1"], ()) == "203.0.113.7"
    assert resolve(None, [], ()) == "unknown"


def test_a_peer_we_do_not_trust_cannot_choose_its_address() -> None:
    assert resolve("203.0.113.7", ["198.51.100.1"], PROXIES) == "203.0.113.7"


def test_a_trusted_proxy_names_the_client() -> None:
    assert resolve("10.0.0.2", ["198.51.100.1"], PROXIES) == "198.51.100.1"
    assert resolve("fd00::2", ["2001:db8::1"], PROXIES) == "2001:db8::1"


def test_the_rightmost_untrusted_hop_counts_and_what_the_client_wrote_does_not() -> None:
    # the client forged "1.1.1.1"; our two proxies appended what they saw
    assert resolve("10.0.0.2", ["1.1.1.1, 198.51.100.1, 10.0.0.9"], PROXIES) == "198.51.100.1"
    assert resolve("10.0.0.2", ["1.1.1.1", "198.51.100.1"], PROXIES) == "198.51.100.1"  # headers repeated


def test_garbled_or_missing_forwarding_falls_back_to_the_proxy() -> None:
    assert resolve("10.0.0.2", [], PROXIES) == "10.0.0.2"
    assert resolve("10.0.0.2", ["not-an-ip"], PROXIES) == "10.0.0.2"
    assert resolve("10.0.0.2", ["198.51.100.1, garbage"], PROXIES) == "10.0.0.2"
    assert resolve("10.0.0.2", ["10.0.0.3"], PROXIES) == "10.0.0.2"  # only proxies: no client named


def test_trusted_proxies_are_checked_at_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies="10.0.0.0/8, 192.168.1.7")
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.168.1.7/32")
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        make_settings(tmp_path, trusted_proxies="10.0.0.0/8, lb.internal")
