"""Identity providers on loopback for the sign-in tests: real HTTP servers, real JWT crypto.

- `mock_oidc_provider()`: the `oidc-provider-mock` package (an Authlib-based OpenID Connect
  provider on werkzeug) in a thread; the person is chosen by POSTing `sub` to its authorize page.
- `OidcStandIn`: a small OpenID Connect issuer of our own that signs with its own JWKS and can be
  told to answer badly (another audience, a signature by a key it does not publish, an expired
  token), to rotate its keys, or to answer slowly. It checks PKCE (S256) and client credentials.
- `GitHubStandIn`: GitHub's endpoints (`/login/oauth/authorize`, `/login/oauth/access_token`,
  `/user`, `/user/emails`) with GitHub's own answers (an error is a 200 with `error`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from oidc_provider_mock import run_server_in_thread

from tests.support.processes import LOOPBACK

CLIENT_ID = "folio-test-client"
CLIENT_SECRET = "folio-test-secret"


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[dict[str, str], dict[str, str]], Reply]  # (parameters, headers) -> reply


class LoopbackServer:
    """A threaded HTTP server on a free loopback port, answering `routes` by method and path."""

    def __init__(self, routes: dict[tuple[str, str], Route]) -> None:
        self.routes = routes
        self.delay = 0.0  # seconds every answer waits (a slow provider)
        self.requests: list[tuple[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    params.update({k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()})
                owner.requests.append((method, url.path))
                time.sleep(owner.delay)
                route = owner.routes.get((method, url.path))
                reply = Reply(404, {"error": "not_found"}) if route is None else route(params, dict(self.headers))
                body = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{LOOPBACK}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _basic_credentials(headers: dict[str, str], params: dict[str, str]) -> tuple[str, str]:
    auth = headers.get("Authorization", "")
    if auth.startswith("Basic "):
        client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        return client_id, secret
    return params.get("client_id", ""), params.get("client_secret", "")


def redirect(to: str, **params: str) -> Reply:
    return Reply(302, headers={"Location": f"{to}?{urlencode(params)}"})


@dataclass
class _Grant:
    params: dict[str, str]
    claims: dict[str, Any]


class OidcStandIn(LoopbackServer):
    """An OpenID Connect issuer whose answers a test can spoil; `claims` is the next person to sign in.

    `mode`: "ok", "wrong-audience", "bad-signature" (signed by a key it does not publish, under a
    published kid), "expired", "wrong-issuer".
    """

    def __init__(self) -> None:
        super().__init__(
            {
                ("GET", "/.well-known/openid-configuration"): self._discovery,
                ("GET", "/jwks"): lambda p, h: Reply(200, KeySet(self.keys).as_dict(private=False)),
                ("GET", "/authorize"): self._authorize,
                ("POST", "/token"): self._token,
            }
        )
        self.mode = "ok"
        self.claims: dict[str, Any] = {}
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "key-1"})]
        self._grants: dict[str, _Grant] = {}

    @property
    def issuer(self) -> str:
        return self.url

    def rotate_keys(self) -> None:
        """Publishes a new signing key only (the issuer rotated its keys)."""
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": f"key-{secrets.token_hex(4)}"})]

    def _discovery(self, params: dict[str, str], headers: dict[str, str]) -> Reply:
        return Reply(
            200,
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            },
        )

    def _authorize(self, params: dict[str, str], headers: dict[str, str]) -> Reply:
        if params.get("client_id") != CLIENT_ID or params.get("code_challenge_method") != "S256":
            return Reply(400, {"error": "invalid_request"})
        code = secrets.token_urlsafe(16)
        self._grants[code] = _Grant(params, dict(self.claims))
        return redirect(params["redirect_uri"], code=code, state=params["state"])

    def _token(self, params: dict[str, str], headers: dict[str, str]) -> Reply:
        grant = self._grants.pop(params.get("code", ""), None)
        if _basic_credentials(headers, params) != (CLIENT_ID, CLIENT_SECRET):
            return Reply(401, {"error": "invalid_client"})
        if grant is None or grant.params["redirect_uri"] != params.get("redirect_uri"):
            return Reply(400, {"error": "invalid_grant"})
        if s256(params.get("code_verifier", "")) != grant.params["code_challenge"]:
            return Reply(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
        return Reply(
            200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "id_token": self._id_token(grant)}
        )

    def _id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.params.get("nonce"),
            **grant.claims,
        }
        key = self.keys[0]
        if self.mode == "wrong-audience":
            claims["aud"] = "someone-else"
        elif self.mode == "expired":
            claims["iat"], claims["exp"] = now - 900, now - 300
        elif self.mode == "wrong-issuer":
            claims["iss"] = "http://evil.example"
        elif self.mode == "bad-signature":
            key = RSAKey.generate_key(2048, parameters={"kid": key.kid})
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


class GitHubStandIn(LoopbackServer):
    """GitHub's OAuth endpoints and the two API reads; `user` and `emails` are the next person's."""

    def __init__(self) -> None:
        super().__init__(
            {
                ("GET", "/login/oauth/authorize"): self._authorize,
                ("POST", "/login/oauth/access_token"): self._token,
                ("GET", "/user"): lambda p, h: self._api(h, self.user),
                ("GET", "/user/emails"): lambda p, h: self._api(h, self.emails),
            }
        )
        self.user: dict[str, Any] = {}
        self.emails: list[dict[str, Any]] = []
        self.refuse_codes = False
        self._grants: dict[str, dict[str, str]] = {}
        self._tokens: set[str] = set()

    def _authorize(self, params: dict[str, str], headers: dict[str, str]) -> Reply:
        if params.get("client_id") != CLIENT_ID or params.get("code_challenge_method") != "S256":
            return Reply(400, {"error": "invalid_request"})
        code = secrets.token_urlsafe(16)
        self._grants[code] = params
        return redirect(params["redirect_uri"], code=code, state=params["state"])

    def _token(self, params: dict[str, str], headers: dict[str, str]) -> Reply:
        grant = self._grants.pop(params.get("code", ""), None)
        valid = (
            grant is not None
            and not self.refuse_codes
            and _basic_credentials(headers, params) == (CLIENT_ID, CLIENT_SECRET)
            and s256(params.get("code_verifier", "")) == grant["code_challenge"]
        )
        if not valid:  # GitHub answers a bad code with 200 and an error
            return Reply(200, {"error": "bad_verification_code", "error_description": "The code is incorrect"})
        token = secrets.token_urlsafe(16)
        self._tokens.add(token)
        return Reply(200, {"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"})

    def _api(self, headers: dict[str, str], body: Any) -> Reply:
        if headers.get("Authorization", "").removeprefix("Bearer ") not in self._tokens:
            return Reply(401, {"message": "Bad credentials"})
        return Reply(200, body)


@contextlib.contextmanager
def mock_oidc_provider(**options: Any) -> Iterator[str]:
    """oidc-provider-mock on a free port; yields its issuer URL."""
    with run_server_in_thread(port=0, **options) as server:
        yield f"http://localhost:{server.server_port}"


def set_mock_user(issuer: str, sub: str, **claims: Any) -> None:
    httpx.put(f"{issuer}/users/{sub}", json=claims).raise_for_status()


def approve_at_mock(authorize_url: str, sub: str, **overrides: str) -> str:
    """Signs `sub` in at oidc-provider-mock's authorize page; returns where it sends the browser back."""
    url = urlparse(authorize_url)
    params = {k: v[0] for k, v in parse_qs(url.query).items()} | overrides
    target = f"{url.scheme}://{url.netloc}{url.path}?{urlencode(params)}"
    response = httpx.post(target, data={"sub": sub})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def deny_at_mock(authorize_url: str) -> str:
    """The person refuses at oidc-provider-mock's authorize page; returns where it sends the browser back."""
    response = httpx.post(authorize_url, data={"action": "deny"})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def follow(authorize_url: str, **overrides: str) -> str:
    """Where a stand-in's authorize endpoint sends the browser back (it signs the person in at once)."""
    url = urlparse(authorize_url)
    params = {k: v[0] for k, v in parse_qs(url.query).items()} | overrides
    response = httpx.get(f"{url.scheme}://{url.netloc}{url.path}?{urlencode(params)}")
    assert response.status_code == 302, response.text
    return response.headers["location"]
