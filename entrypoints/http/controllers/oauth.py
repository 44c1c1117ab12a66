"""Sign in with Google or GitHub (`/auth/oauth`) and the caller's linked identities (`/users/me/identities`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import CookieParameter, FromPath, JSONBody, QueryParameter
from litestar.response import Redirect

from application.identity.linked import Unlink
from application.identity.oauth import ExchangeLoginCode, FinishSignIn, StartSignIn
from application.identity.tokens import Principal
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_user
from entrypoints.http.client_address import client_address
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.identity import TokensOut
from entrypoints.http.schemas.oauth import IdentityOut, LoginCodeIn, ProviderOut

#: The browser's flow binding: a random value the callback must bring back (login CSRF).
BINDING_COOKIE = "folio_oauth"
_COOKIE_PATH = "/api/v1/auth/oauth"
_Param = Annotated[str | None, QueryParameter(max_length=2048)]
_State = Annotated[str | None, QueryParameter(name="state", max_length=2048)]  # `state` is Litestar's own name
_Binding = Annotated[str | None, CookieParameter(name=BINDING_COOKIE, max_length=256, required=False)]


def _binding_cookie(services: Services, value: str) -> Cookie:
    return Cookie(
        key=BINDING_COOKIE,
        value=value,
        path=_COOKIE_PATH,
        max_age=services.policy.oauth_state_ttl,
        httponly=True,
        samesite="lax",
        secure=services.settings.public_url.startswith("https://"),
    )


class OAuthController(Controller):
    path = "/auth/oauth"
    tags = ["auth"]

    @get("/providers")
    async def list_sign_in_providers(self, services: NamedDependency[Services]) -> list[ProviderOut]:
        """The providers this installation offers for sign-in."""
        return [ProviderOut(name, display) for name, display in services.identity.providers()]

    @get("/{provider:str}/authorize", status_code=302, responses=problem_responses(404, 422, 502))
    async def start_provider_sign_in(
        self,
        provider: FromPath[str],
        services: NamedDependency[Services],
        redirect_uri: _Param = None,
        binding: _Binding = None,
    ) -> Redirect:
        """Sends the browser to the provider, with a single-use state (10 min), PKCE S256 and a nonce."""
        started = await services.identity.start_sign_in(StartSignIn(provider, redirect_uri, binding))
        return Redirect(
            started.authorization_url, status_code=302, cookies=[_binding_cookie(services, started.browser_binding)]
        )

    @get(
        "/{provider:str}/callback",
        responses={
            200: ResponseSpec(TokensOut, description="Signed in (no client page): Folio's tokens"),
            302: ResponseSpec(None, description="Signed in: to the client page, with `#login_code=`"),
            **problem_responses(400, 403, 404, 429, 502),
        },
    )
    async def finish_provider_sign_in(
        self,
        provider: FromPath[str],
        services: NamedDependency[Services],
        request: Request[Any, Any, Any],
        code: _Param = None,
        flow_state: _State = None,
        error: _Param = None,
        binding: _Binding = None,
    ) -> Response[Any]:
        """Signs the person in: tokens, or a redirect to the client page with `#login_code=` (60 s, single use)."""
        cmd = FinishSignIn(provider, flow_state, code, error, binding, client_address(request))
        signed_in = await services.identity.finish_sign_in(cmd)
        if signed_in.redirect_to is not None:
            return Redirect(signed_in.redirect_to, status_code=302)
        assert signed_in.tokens is not None
        return Response(TokensOut.of(signed_in.tokens), headers={"Cache-Control": "no-store"})

    @post("/exchange", status_code=200, responses=problem_responses(400, 403, 422))
    async def exchange_login_code(self, data: JSONBody[LoginCodeIn], services: NamedDependency[Services]) -> TokensOut:
        """Turns a login code from the callback into tokens (once, within 60 s)."""
        return TokensOut.of(await services.identity.exchange_login_code(ExchangeLoginCode(data.login_code)))


class IdentitiesController(Controller):
    path = "/users/me/identities"
    tags = ["users"]
    guards = [requires_user]
    security = BEARER

    @get("/", responses=problem_responses(401))
    async def list_my_identities(
        self, principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> list[IdentityOut]:
        """The provider identities linked to the caller's account."""
        return [IdentityOut.of(link) for link in await services.identity.linked_identities(principal.user_id)]

    @delete("/{provider:str}", status_code=204, responses=problem_responses(401, 404, 409))
    async def unlink_my_identity(
        self, provider: FromPath[str], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> None:
        """Unlinks a provider; refused (409 last-login-method) when it is the account's last way to sign in."""
        await services.identity.unlink(Unlink(principal.user_id, provider))
