"""The pages the emailed links open, for people without a front end: `/verify-email` and `/reset-password`.

Server-rendered (Jinja2), no JavaScript, nothing fetched from elsewhere (a strict CSP says so). The forms
are POSTs protected by Litestar's CSRF middleware (a signed double-submit cookie), mounted on these pages
only, so the JSON API is unaffected. They call the same use cases as `/api/v1/auth/*`.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.params import Body, QueryParameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from application.identity.recovery import ForgotPassword, ResetPassword
from application.identity.verification import ResendVerification, VerifyEmail
from domain.errors import DomainError, RateLimited
from entrypoints.bootstrap import Services
from entrypoints.http.client_address import client_address
from entrypoints.http.problems import STATUS_BY_CODE
from entrypoints.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
#: The landing pages' CSP: their own stylesheet and forms, nothing else.
PAGES_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_PATHS = ("/verify-email", "/reset-password")
_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
Text = Annotated[str, msgspec.Meta(max_length=512)]


class ResendForm(msgspec.Struct):
    email: Text = ""


class ResetForm(msgspec.Struct):
    email: Text = ""
    code: Text = ""
    new_password: Annotated[str, msgspec.Meta(max_length=4096)] = ""
    action: Text = "reset"  # "reset", or "send" for a new code


def landing_templates() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


def _page(name: str, status: int = 200, **context: Any) -> Template:
    return Template(template_name=name, context=context, status_code=status)


def _failure(exc: DomainError) -> tuple[int, str]:
    if isinstance(exc, RateLimited):
        return 429, f"Too many attempts; try again in {exc.retry_after} seconds."
    return STATUS_BY_CODE.get(exc.code, 409), exc.detail


class LandingController(Controller):
    """The pages behind the links in the verification and reset mails."""

    include_in_schema = False

    @get("/verify-email")
    async def verify_page(
        self,
        services: NamedDependency[Services],
        token: Annotated[str | None, QueryParameter(max_length=512)] = None,
    ) -> Template:
        """Verifies the address of the link's token and says so; a bad or spent link offers a new one."""
        if not token:
            return _page("verify_email.html", 400, verified=False, error="This link has no token.")
        try:
            user = await services.identity.verify_email(VerifyEmail(token))
        except DomainError as exc:
            status, error = _failure(exc)
            return _page("verify_email.html", status, verified=False, error=error)
        return _page("verify_email.html", verified=True, email=user.email)

    @post("/verify-email/resend", status_code=200)
    async def resend(self, data: Annotated[ResendForm, _FORM], services: NamedDependency[Services]) -> Template:
        """Mails a new verification link (the page says the same whether or not the address is known)."""
        try:
            await services.identity.resend_verification(ResendVerification(data.email))
        except DomainError as exc:
            status, error = _failure(exc)
            return _page("verify_email.html", status, verified=False, error=error)
        return _page("verify_email.html", verified=False, resent=True, email=data.email)

    @get("/reset-password")
    async def reset_page(self, email: Annotated[str, QueryParameter(max_length=512)] = "") -> Template:
        """The form that takes the mailed code and a new password."""
        return _page("reset_password.html", email=email)

    @post("/reset-password", status_code=200)
    async def reset(
        self, data: Annotated[ResetForm, _FORM], services: NamedDependency[Services], request: Request[Any, Any, Any]
    ) -> Template:
        """Sets the new password with the code (every session is signed out), or mails a new code."""
        address = client_address(request)
        try:
            if data.action == "send":
                await services.identity.forgot_password(ForgotPassword(data.email, address))
                return _page("reset_password.html", email=data.email, sent=True)
            await services.identity.reset_password(ResetPassword(data.email, data.code, data.new_password, address))
        except DomainError as exc:
            status, error = _failure(exc)
            return _page("reset_password.html", status, email=data.email, error=error)
        return _page("reset_password.html", email=data.email, done=True)


def landing_router(settings: Settings) -> Router:
    """The pages, behind CSRF protection of their own (the cookie is HttpOnly and SameSite=Strict)."""
    secret = hmac.new(settings.jwt_secret.encode(), b"folio landing-page csrf", hashlib.sha256).hexdigest()
    csrf = CSRFConfig(
        secret=secret,
        cookie_name="folio_csrf",
        cookie_httponly=True,
        cookie_samesite="strict",
        cookie_secure=settings.public_url.lower().startswith("https://"),
    )
    return Router(
        path="/",
        route_handlers=[LandingController],
        middleware=[DefineMiddleware(CSRFMiddleware, config=csrf)],
        include_in_schema=False,
    )
