"""The identity use cases, one method each, every call on a fresh unit of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from application.identity import account, admin, linked, oauth, recovery, sessions, verification
from application.identity.credentials import Credentials
from application.identity.login import Login, LoginHandler
from application.identity.register import Register, RegisterHandler
from application.identity.subjects import KnownSubjects
from application.identity.tokens import Principal, Tokens, authenticate
from application.ports.identity_providers import IdentityProvider
from application.ports.uow import UowFactory
from domain.errors import NotFound
from domain.identity import User
from domain.linked_identities import LinkedIdentity


class IdentityService:
    def __init__(self, *, uow: UowFactory, credentials: Credentials, providers: Mapping[str, IdentityProvider]) -> None:
        self._uow = uow
        self._credentials = credentials
        self._providers = providers
        self._subjects = KnownSubjects(uow=uow, clock=credentials.clock)
        self._register = RegisterHandler(uow=uow, credentials=credentials)
        self._login = LoginHandler(uow=uow, credentials=credentials)
        self._refresh = sessions.RefreshHandler(uow=uow, credentials=credentials)
        self._logout = sessions.LogoutHandler(credentials=credentials)
        self._logout_all = sessions.LogoutAllHandler(credentials=credentials)
        self._change_password = sessions.ChangePasswordHandler(uow=uow, credentials=credentials)
        self._verify_email = verification.VerifyEmailHandler(uow=uow, credentials=credentials)
        self._resend_verification = verification.ResendVerificationHandler(uow=uow, credentials=credentials)
        self._forgot_password = recovery.ForgotPasswordHandler(uow=uow, credentials=credentials)
        self._reset_password = recovery.ResetPasswordHandler(uow=uow, credentials=credentials)
        self._update_me = account.UpdateMeHandler(uow=uow)
        self._delete_me = account.DeleteMeHandler(uow=uow, credentials=credentials)
        self._create_user = admin.CreateUserHandler(uow=uow, credentials=credentials)
        self._update_user = admin.UpdateUserHandler(uow=uow, credentials=credentials)
        self._delete_user = admin.DeleteUserHandler(uow=uow, credentials=credentials)
        self._start_sign_in = oauth.StartSignInHandler(credentials=credentials, providers=providers)
        self._finish_sign_in = oauth.FinishSignInHandler(uow=uow, credentials=credentials, providers=providers)
        self._exchange_login_code = oauth.ExchangeLoginCodeHandler(uow=uow, credentials=credentials)
        self._unlink = linked.UnlinkHandler(uow=uow)

    async def register(self, cmd: Register) -> User:
        return await self._register(cmd)

    async def login(self, cmd: Login) -> Tokens:
        return await self._login(cmd)

    async def authenticate(self, token: str) -> Principal | None:
        return await authenticate(self._credentials, token, self._subjects)

    async def get_user(self, user_id: UUID) -> User:
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("user")
        return user

    # Sessions
    async def refresh(self, cmd: sessions.Refresh) -> Tokens:
        return await self._refresh(cmd)

    async def logout(self, cmd: sessions.Logout) -> None:
        await self._logout(cmd)

    async def logout_all(self, cmd: sessions.LogoutAll) -> None:
        await self._logout_all(cmd)

    async def change_password(self, cmd: sessions.ChangePassword) -> Tokens:
        return await self._change_password(cmd)

    # Verification and recovery
    async def verify_email(self, cmd: verification.VerifyEmail) -> User:
        return await self._verify_email(cmd)

    async def resend_verification(self, cmd: verification.ResendVerification) -> None:
        await self._resend_verification(cmd)

    async def forgot_password(self, cmd: recovery.ForgotPassword) -> None:
        await self._forgot_password(cmd)

    async def reset_password(self, cmd: recovery.ResetPassword) -> None:
        await self._reset_password(cmd)

    # The caller's account
    async def update_me(self, cmd: account.UpdateMe) -> User:
        return await self._update_me(cmd)

    async def delete_me(self, cmd: account.DeleteMe) -> None:
        await self._delete_me(cmd)

    # Admin
    async def list_users(self, query: admin.ListUsers) -> tuple[Sequence[User], int]:
        return await admin.list_users(self._uow, query)

    async def create_user(self, cmd: admin.CreateUser) -> User:
        return await self._create_user(cmd)

    async def update_user(self, cmd: admin.UpdateUser) -> User:
        return await self._update_user(cmd)

    async def delete_user(self, cmd: admin.DeleteUser) -> None:
        await self._delete_user(cmd)

    # Provider sign-in
    def provider(self, name: str) -> IdentityProvider:
        """The configured provider of that name (NotFound if there is none)."""
        return oauth.provider_of(self._providers, name)

    def providers(self) -> list[tuple[str, str]]:
        """(name, display name) of each configured provider."""
        return [(p.name, p.display_name) for p in self._providers.values()]

    async def start_sign_in(self, cmd: oauth.StartSignIn) -> oauth.SignInStarted:
        return await self._start_sign_in(cmd)

    async def finish_sign_in(self, cmd: oauth.FinishSignIn) -> oauth.SignedIn:
        return await self._finish_sign_in(cmd)

    async def exchange_login_code(self, cmd: oauth.ExchangeLoginCode) -> Tokens:
        return await self._exchange_login_code(cmd)

    async def linked_identities(self, user_id: UUID) -> Sequence[LinkedIdentity]:
        return await linked.linked_identities(self._uow, user_id)

    async def unlink(self, cmd: linked.Unlink) -> None:
        await self._unlink(cmd)
