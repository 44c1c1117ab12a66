"""The identity use cases, one method each, every call on a fresh unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.deps import Deps
from application.identity import account, admin, linked, oauth, recovery, sessions, verification
from application.identity.login import Login, LoginHandler
from application.identity.register import Register, RegisterHandler
from application.identity.subjects import KnownSubjects
from application.identity.tokens import Principal, Tokens, authenticate
from domain.errors import NotFound
from domain.identity import User
from domain.linked_identities import LinkedIdentity


class IdentityService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._subjects = KnownSubjects(deps)

    async def register(self, cmd: Register) -> User:
        return await RegisterHandler(self._deps)(cmd)

    async def login(self, cmd: Login) -> Tokens:
        return await LoginHandler(self._deps)(cmd)

    async def authenticate(self, token: str) -> Principal | None:
        return await authenticate(self._deps, token, self._subjects)

    async def get_user(self, user_id: UUID) -> User:
        async with self._deps.uow(read_only=True) as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("user")
        return user

    # Sessions
    async def refresh(self, cmd: sessions.Refresh) -> Tokens:
        return await sessions.RefreshHandler(self._deps)(cmd)

    async def logout(self, cmd: sessions.Logout) -> None:
        await sessions.LogoutHandler(self._deps)(cmd)

    async def logout_all(self, cmd: sessions.LogoutAll) -> None:
        await sessions.LogoutAllHandler(self._deps)(cmd)

    async def change_password(self, cmd: sessions.ChangePassword) -> Tokens:
        return await sessions.ChangePasswordHandler(self._deps)(cmd)

    # Verification and recovery
    async def verify_email(self, cmd: verification.VerifyEmail) -> User:
        return await verification.VerifyEmailHandler(self._deps)(cmd)

    async def resend_verification(self, cmd: verification.ResendVerification) -> None:
        await verification.ResendVerificationHandler(self._deps)(cmd)

    async def forgot_password(self, cmd: recovery.ForgotPassword) -> None:
        await recovery.ForgotPasswordHandler(self._deps)(cmd)

    async def reset_password(self, cmd: recovery.ResetPassword) -> None:
        await recovery.ResetPasswordHandler(self._deps)(cmd)

    # The caller's account
    async def update_me(self, cmd: account.UpdateMe) -> User:
        return await account.UpdateMeHandler(self._deps)(cmd)

    async def delete_me(self, cmd: account.DeleteMe) -> None:
        await account.DeleteMeHandler(self._deps)(cmd)

    # Admin
    async def list_users(self, query: admin.ListUsers) -> tuple[Sequence[User], int]:
        return await admin.list_users(self._deps, query)

    async def create_user(self, cmd: admin.CreateUser) -> User:
        return await admin.CreateUserHandler(self._deps)(cmd)

    async def update_user(self, cmd: admin.UpdateUser) -> User:
        return await admin.UpdateUserHandler(self._deps)(cmd)

    async def delete_user(self, cmd: admin.DeleteUser) -> None:
        await admin.DeleteUserHandler(self._deps)(cmd)

    # Provider sign-in (issue 16)
    def providers(self) -> list[tuple[str, str]]:
        """(name, display name) of each configured provider."""
        return [(p.name, p.display_name) for p in self._deps.identity_providers.values()]

    async def start_sign_in(self, cmd: oauth.StartSignIn) -> oauth.SignInStarted:
        return await oauth.StartSignInHandler(self._deps)(cmd)

    async def finish_sign_in(self, cmd: oauth.FinishSignIn) -> oauth.SignedIn:
        return await oauth.FinishSignInHandler(self._deps)(cmd)

    async def exchange_login_code(self, cmd: oauth.ExchangeLoginCode) -> Tokens:
        return await oauth.ExchangeLoginCodeHandler(self._deps)(cmd)

    async def linked_identities(self, user_id: UUID) -> Sequence[LinkedIdentity]:
        return await linked.linked_identities(self._deps, user_id)

    async def unlink(self, cmd: linked.Unlink) -> None:
        await linked.UnlinkHandler(self._deps)(cmd)
