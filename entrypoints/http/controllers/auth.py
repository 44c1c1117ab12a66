from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody

from application.identity.login import Login
from application.identity.recovery import ForgotPassword, ResetPassword
from application.identity.register import Register
from application.identity.sessions import ChangePassword, Logout, LogoutAll, Refresh
from application.identity.tokens import Principal
from application.identity.verification import ResendVerification, VerifyEmail
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_user
from entrypoints.http.client_address import client_address
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.identity import (
    ChangePasswordIn,
    EmailIn,
    LoginIn,
    LogoutIn,
    RefreshIn,
    RegisterIn,
    ResetPasswordIn,
    TokensOut,
    UserOut,
    VerifyEmailIn,
)


class PasswordForm(msgspec.Struct):
    """OAuth2 password flow: `username` carries the email."""

    username: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=4096)]
    grant_type: str | None = None
    scope: str | None = None


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/register", status_code=201, responses=problem_responses(400, 409, 422))
    async def register(self, data: JSONBody[RegisterIn], services: NamedDependency[Services]) -> UserOut:
        """Creates an account and emails a verification link."""
        user = await services.identity.register(Register(data.email, data.username, data.password, data.full_name))
        return UserOut.of(user)

    @post("/login", status_code=200, responses=problem_responses(400, 401, 403, 422, 429))
    async def login(
        self, data: JSONBody[LoginIn], services: NamedDependency[Services], request: Request[Any, Any, Any]
    ) -> TokensOut:
        """Exchanges email and password for an access and a refresh token."""
        tokens = await services.identity.login(Login(data.email, data.password, client_address(request)))
        return TokensOut.of(tokens)

    @post("/token", status_code=200, responses=problem_responses(400, 401, 403, 422, 429))
    async def token(
        self,
        data: Annotated[PasswordForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        services: NamedDependency[Services],
        request: Request[Any, Any, Any],
    ) -> TokensOut:
        """OAuth2 password flow (form fields `username` = email, `password`)."""
        tokens = await services.identity.login(Login(data.username, data.password, client_address(request)))
        return TokensOut.of(tokens)

    @post("/refresh", status_code=200, responses=problem_responses(400, 401, 422))
    async def refresh(self, data: JSONBody[RefreshIn], services: NamedDependency[Services]) -> TokensOut:
        """Spends a refresh token for a new pair; a spent one presented again revokes its session."""
        return TokensOut.of(await services.identity.refresh(Refresh(data.refresh_token)))

    @post("/logout", status_code=204, guards=[requires_user], security=BEARER, responses=problem_responses(401, 422))
    async def logout(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        data: JSONBody[LogoutIn | None] = None,
    ) -> None:
        """Revokes this access token and its session's refresh tokens at once."""
        await services.identity.logout(Logout(principal, data.refresh_token if data else None))

    @post("/logout-all", status_code=204, guards=[requires_user], security=BEARER, responses=problem_responses(401))
    async def logout_all(self, principal: NamedDependency[Principal], services: NamedDependency[Services]) -> None:
        """Revokes every access and refresh token of the caller issued until now."""
        await services.identity.logout_all(LogoutAll(principal))

    @post(
        "/change-password",
        status_code=200,
        guards=[requires_user],
        security=BEARER,
        responses=problem_responses(400, 401, 422),
    )
    async def change_password(
        self,
        data: JSONBody[ChangePasswordIn],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> TokensOut:
        """Sets a new password; every other session is revoked and this client gets fresh tokens."""
        cmd = ChangePassword(principal, data.current_password, data.new_password)
        return TokensOut.of(await services.identity.change_password(cmd))

    @post("/verify-email", status_code=200, responses=problem_responses(400, 422))
    async def verify_email(self, data: JSONBody[VerifyEmailIn], services: NamedDependency[Services]) -> UserOut:
        """Marks the account of a verification link's token as verified (the token works once, 24 h)."""
        return UserOut.of(await services.identity.verify_email(VerifyEmail(data.token)))

    @post("/resend-verification", status_code=202, responses=problem_responses(400, 422))
    async def resend_verification(self, data: JSONBody[EmailIn], services: NamedDependency[Services]) -> None:
        """Sends a new verification link; answers 202 whether or not the address is known."""
        await services.identity.resend_verification(ResendVerification(data.email))

    @post("/forgot-password", status_code=202, responses=problem_responses(400, 422, 429))
    async def forgot_password(
        self, data: JSONBody[EmailIn], services: NamedDependency[Services], request: Request[Any, Any, Any]
    ) -> None:
        """Mails a 6-digit reset code valid 15 minutes; answers 202 whether or not the address is known."""
        await services.identity.forgot_password(ForgotPassword(data.email, client_address(request)))

    @post("/reset-password", status_code=204, responses=problem_responses(400, 422, 429))
    async def reset_password(
        self, data: JSONBody[ResetPasswordIn], services: NamedDependency[Services], request: Request[Any, Any, Any]
    ) -> None:
        """Sets a new password with a mailed code; every session of the account is revoked."""
        cmd = ResetPassword(data.email, data.code, data.new_password, client_address(request))
        await services.identity.reset_password(cmd)
