"""Users, roles and the rules for credentials."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from importlib import resources
from uuid import UUID

from domain.errors import Conflict, DomainError, Forbidden, InvalidField, Unauthorized
from domain.events import DomainEvent


class Role(StrEnum):
    USER = "USER"
    MODERATOR = "MODERATOR"
    ADMIN = "ADMIN"


class EmailTaken(Conflict):
    code = "email-taken"
    title = "Email already registered"


class UsernameTaken(Conflict):
    code = "username-taken"
    title = "Username already taken"


class LastAdmin(Conflict):
    code = "last-admin"
    title = "The last active admin must stay"


class WeakPassword(DomainError):
    code = "weak-password"
    title = "Password too weak"


class InvalidCredentials(Unauthorized):
    code = "invalid-credentials"
    title = "Invalid credentials"


class AccountInactive(Forbidden):
    code = "account-inactive"
    title = "Account deactivated"


class EmailNotVerified(Forbidden):
    code = "email-not-verified"
    title = "Email not verified"


class TokenReused(Unauthorized):
    code = "token-reused"
    title = "Refresh token reused"


class InvalidCode(DomainError):
    code = "invalid-code"
    title = "Invalid or expired code"


EMAIL_MAX = 254
USERNAME_MIN, USERNAME_MAX = 3, 50
FULL_NAME_MAX = 200
PASSWORD_MIN, PASSWORD_MAX = 8, 128
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


def normalize_email(raw: str) -> str:
    """Emails compare case-insensitively: stored trimmed and lower-cased."""
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX or not _EMAIL_RE.match(email):
        raise InvalidField("email", "must be a valid email address")
    return email


def check_username(raw: str) -> str:
    username = raw.strip()
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        raise InvalidField("username", f"must be {USERNAME_MIN} to {USERNAME_MAX} characters")
    if not _USERNAME_RE.match(username):
        raise InvalidField("username", "may hold letters, digits, '_', '.' and '-' only")
    return username


def check_full_name(raw: str | None) -> str | None:
    if raw is None:
        return None
    name = raw.strip()
    if len(name) > FULL_NAME_MAX:
        raise InvalidField("full_name", f"must be at most {FULL_NAME_MAX} characters")
    return name or None


def _load_common_passwords() -> frozenset[str]:
    text = resources.files("domain").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


_COMMON_PASSWORDS: frozenset[str] | None = None


def check_password(password: str) -> None:
    """Raises WeakPassword for a password under 8 or over 128 characters, or a common one."""
    global _COMMON_PASSWORDS
    if len(password) < PASSWORD_MIN:
        raise WeakPassword(f"password must be at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise WeakPassword(f"password must be at most {PASSWORD_MAX} characters")
    if _COMMON_PASSWORDS is None:
        _COMMON_PASSWORDS = _load_common_passwords()
    if password.lower() in _COMMON_PASSWORDS:
        raise WeakPassword("password is too common")


@dataclass(eq=False, slots=True)
class User:
    """An account. `password_hash` never leaves the application layer; None for an account made by a
    provider sign-in until a password is set through reset-password."""

    id: UUID
    email: str
    username: str
    password_hash: str | None
    created_at: datetime
    full_name: str | None = None
    role: Role = Role.USER
    is_active: bool = True
    is_verified: bool = False
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def is_active_admin(self) -> bool:
        return self.is_admin and self.is_active

    def ensure_can_sign_in(self) -> None:
        if not self.is_active:
            raise AccountInactive("this account is deactivated")

    def ensure_verified(self, *, required: bool = True) -> None:
        if required and not self.is_verified:
            raise EmailNotVerified("verify your email address first")

    def change_role(self, role: Role) -> bool:
        """Returns whether the role changed (a change revokes the user's tokens)."""
        changed = role is not self.role
        self.role = role
        return changed

    def deactivate(self) -> bool:
        changed = self.is_active
        self.is_active = False
        return changed

    def reactivate(self) -> None:
        self.is_active = True

    def verify_email(self) -> None:
        self.is_verified = True

    def rename(self, username: str) -> None:
        self.username = check_username(username)

    def set_full_name(self, full_name: str | None) -> None:
        self.full_name = check_full_name(full_name)

    def erase(self) -> None:
        """Marks the account for deletion; handlers of UserErased remove what the database does not cascade."""
        self.events.append(UserErased(self.id))


@dataclass(frozen=True, slots=True)
class UserErased(DomainEvent):
    """An account and its personal data are being deleted (in the same transaction)."""

    user_id: UUID


def ensure_admin_remains(target: User, *, active_admins: int, removes_admin: bool) -> None:
    """Refuses a change that would leave no active admin. `active_admins` counts the target too."""
    if removes_admin and target.is_active_admin and active_admins <= 1:
        raise LastAdmin("the last active admin cannot be demoted, deactivated or deleted")
