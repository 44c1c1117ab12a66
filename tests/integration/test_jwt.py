"""JwtAccessTokens: algorithm pinned, issuer and audience checked, microsecond issue times."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import jwt

from adapters.security.jwt import JwtAccessTokens
from application.ports.security import AccessClaims
from domain.identity import Role
from tests.support.clock import FakeClock
from tests.support.settings import TEST_SECRET


def claims(clock: FakeClock) -> AccessClaims:
    now = clock.now() + timedelta(microseconds=123_456)
    return AccessClaims(uuid4(), Role.USER, uuid4().hex, uuid4(), now, now + timedelta(minutes=15))


def test_round_trip_keeps_the_issue_time_to_the_microsecond() -> None:
    clock = FakeClock()
    tokens = JwtAccessTokens(TEST_SECRET, clock)
    issued = claims(clock)
    decoded = tokens.decode(tokens.issue(issued))
    assert decoded is not None
    assert decoded.issued_at == issued.issued_at
    assert decoded.user_id == issued.user_id


def test_other_algorithms_issuers_and_audiences_are_refused() -> None:
    clock = FakeClock()
    secret = TEST_SECRET * 2  # long enough for HS512 too, so only the algorithm differs
    tokens = JwtAccessTokens(secret, clock)
    payload = jwt.decode(tokens.issue(claims(clock)), options={"verify_signature": False})
    assert tokens.decode(jwt.encode(payload, secret, algorithm="HS512")) is None
    assert tokens.decode(jwt.encode(payload, None, algorithm="none")) is None
    assert tokens.decode(jwt.encode(payload | {"iss": "someone"}, secret, algorithm="HS256")) is None
    assert tokens.decode(jwt.encode(payload | {"aud": "other"}, secret, algorithm="HS256")) is None
    assert tokens.decode(jwt.encode(payload, secret, algorithm="HS256")) is not None
    incomplete = {k: v for k, v in payload.items() if k != "jti"}
    assert tokens.decode(jwt.encode(incomplete, secret, algorithm="HS256")) is None
