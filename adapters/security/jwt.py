from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from application.ports.clock import Clock
from application.ports.security import AccessClaims
from domain.identity import Role

_REQUIRED = ["sub", "role", "jti", "sid", "iat", "exp", "iss", "aud"]


class JwtAccessTokens:
    """HS256 (or another pinned algorithm) JWTs with sub, role, jti, sid, iat, exp, iss, aud."""

    def __init__(
        self,
        secret: str,
        clock: Clock,
        *,
        issuer: str = "folio",
        audience: str = "folio-api",
        algorithm: str = "HS256",
        leeway_seconds: int = 10,
    ) -> None:
        self._secret = secret
        self._clock = clock
        self._issuer = issuer
        self._audience = audience
        self._algorithm = algorithm
        self._leeway = leeway_seconds

    def issue(self, claims: AccessClaims) -> str:
        payload = {
            "sub": str(claims.user_id),
            "role": claims.role.value,
            "jti": claims.jti,
            "sid": str(claims.session_id),
            # A NumericDate may be fractional (RFC 7519 §2): microseconds order a token against a
            # revocation made in the same second (log out everywhere, then sign in again).
            "iat": claims.issued_at.timestamp(),
            "exp": int(claims.expires_at.timestamp()),
            "iss": self._issuer,
            "aud": self._audience,
        }
        return jwt.encode(payload, self._secret, algorithm=self._algorithm)

    def decode(self, token: str) -> AccessClaims | None:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False},
            )
            claims = AccessClaims(
                user_id=UUID(payload["sub"]),
                role=Role(payload["role"]),
                jti=str(payload["jti"]),
                session_id=UUID(payload["sid"]),
                issued_at=datetime.fromtimestamp(payload["iat"], UTC),
                expires_at=datetime.fromtimestamp(payload["exp"], UTC),
            )
        except (jwt.PyJWTError, ValueError, KeyError, TypeError, OverflowError):
            return None
        # Expiry is checked against the injected clock, with a small leeway for clock skew.
        leeway = timedelta(seconds=self._leeway)
        now = self._clock.now()
        if claims.expires_at + leeway <= now or claims.issued_at - leeway > now:
            return None
        return claims
