from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from application.identity.account import KEEP, Keep
from application.identity.tokens import Tokens
from domain.identity import Role, User


# `documented` constraints are what the use cases check (with their own problem slugs); the schema says
# them so that data generated from it is accepted, while msgspec enforces only the bounds above them.
def documented(**schema: object) -> dict[str, object]:
    return {"extra": schema}


_EMAIL_PATTERN = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"  # domain.identity: trimmed, then this
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=254,
        examples=["reader@example.com"],
        extra_json_schema=documented(pattern=_EMAIL_PATTERN),
    ),
]
Username = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=50,
        examples=["reader"],
        extra_json_schema=documented(pattern=r"^\s*[A-Za-z0-9_.-]{3,50}\s*$"),
    ),
]
FullName = Annotated[str, msgspec.Meta(max_length=200)]
# Length is checked by the password policy so a too-long password is `weak-password`, not `validation`.
Password = Annotated[str, msgspec.Meta(max_length=4096)]
#: A password being set: the policy's bounds (8 to 128 characters, not a common one) are in the schema.
NewPassword = Annotated[
    str,
    msgspec.Meta(
        max_length=4096,
        description="8 to 128 characters, not a common password (else 422 `weak-password`)",
        extra_json_schema=documented(min_length=8, max_length=128),
    ),
]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=False):
    email: Email
    username: Username
    password: NewPassword
    full_name: FullName | None = None


class LoginIn(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Password


class UserOut(msgspec.Struct):
    id: UUID
    email: str
    username: str
    full_name: str | None
    role: Role
    is_active: bool
    is_verified: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            user.id,
            user.email,
            user.username,
            user.full_name,
            user.role,
            user.is_active,
            user.is_verified,
            user.created_at,
        )


class TokensOut(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int

    @classmethod
    def of(cls, tokens: Tokens) -> TokensOut:
        return cls(tokens.access_token, tokens.refresh_token, tokens.token_type, tokens.expires_in)


# Opaque secrets from the client: bounded generously, checked by the store.
Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
AnyEmail = Annotated[str, msgspec.Meta(max_length=320)]


class RefreshIn(msgspec.Struct):
    refresh_token: Secret


class LogoutIn(msgspec.Struct):
    refresh_token: Secret | None = None


class ChangePasswordIn(msgspec.Struct):
    current_password: Password
    new_password: NewPassword


class VerifyEmailIn(msgspec.Struct):
    token: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=512,
            description="The `token` of the emailed link (24 h, once)",
            extra_json_schema=documented(pattern=r"^[A-Za-z0-9_-]{43}$"),
        ),
    ]


class EmailIn(msgspec.Struct):
    email: AnyEmail


class ResetPasswordIn(msgspec.Struct):
    email: AnyEmail
    code: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=16,
            description="The 6-digit code from the mail",
            extra_json_schema=documented(pattern=r"^[0-9]{6}$"),
        ),
    ]
    new_password: NewPassword


class UpdateMeIn(msgspec.Struct):
    username: Username | msgspec.UnsetType = msgspec.UNSET
    full_name: FullName | msgspec.UnsetType | None = msgspec.UNSET


class DeleteMeIn(msgspec.Struct):
    password: Password


class AdminCreateUserIn(msgspec.Struct):
    email: Email
    username: Username
    password: NewPassword
    role: Role
    full_name: FullName | None = None


class AdminUpdateUserIn(msgspec.Struct):
    role: Role | None = None
    is_active: bool | None = None
    username: Username | msgspec.UnsetType = msgspec.UNSET
    full_name: FullName | msgspec.UnsetType | None = msgspec.UNSET


def kept[T](value: T | msgspec.UnsetType) -> T | Keep:
    """A field left out of a PATCH body leaves the stored value as it is."""
    return KEEP if value is msgspec.UNSET else value
