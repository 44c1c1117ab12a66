from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.linked_identities import LinkedIdentity


class ProviderOut(msgspec.Struct):
    name: str
    display_name: str


class IdentityOut(msgspec.Struct):
    provider: str
    email: str | None
    linked_at: datetime

    @classmethod
    def of(cls, link: LinkedIdentity) -> IdentityOut:
        return cls(link.provider, link.email, link.linked_at)


class LoginCodeIn(msgspec.Struct):
    login_code: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
