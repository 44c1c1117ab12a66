from __future__ import annotations

import pytest

from application.identity.login import Login
from application.identity.register import Register
from domain.identity import AccountInactive, EmailTaken, InvalidCredentials, UsernameTaken
from entrypoints.bootstrap import Services

PASSWORD = "a-long-enough-passphrase"


async def test_a_registered_user_can_sign_in_and_is_recognised(memory_services: Services) -> None:
    user = await memory_services.identity.register(Register("Ada@Example.com", "ada", PASSWORD))
    tokens = await memory_services.identity.login(Login("ada@example.com", PASSWORD))
    principal = await memory_services.identity.authenticate(tokens.access_token)
    assert principal is not None
    assert principal.user_id == user.id
    assert user.email == "ada@example.com"
    assert not user.is_verified


async def test_email_and_username_are_unique_case_insensitively(memory_services: Services) -> None:
    await memory_services.identity.register(Register("ada@example.com", "ada", PASSWORD))
    with pytest.raises(EmailTaken):
        await memory_services.identity.register(Register("ADA@example.com", "other", PASSWORD))
    with pytest.raises(UsernameTaken):
        await memory_services.identity.register(Register("other@example.com", "ADA", PASSWORD))


async def test_wrong_password_and_unknown_email_fail_alike(memory_services: Services) -> None:
    await memory_services.identity.register(Register("ada@example.com", "ada", PASSWORD))
    with pytest.raises(InvalidCredentials) as wrong:
        await memory_services.identity.login(Login("ada@example.com", "not-the-password"))
    with pytest.raises(InvalidCredentials) as unknown:
        await memory_services.identity.login(Login("nobody@example.com", PASSWORD))
    assert wrong.value.detail == unknown.value.detail


async def test_a_deactivated_account_cannot_sign_in(memory_services: Services) -> None:
    user = await memory_services.identity.register(Register("ada@example.com", "ada", PASSWORD))
    async with memory_services.uow() as uow:
        stored = await uow.users.get(user.id)
        assert stored is not None
        stored.is_active = False
        await uow.users.update(stored)
        await uow.commit()
    with pytest.raises(AccountInactive):
        await memory_services.identity.login(Login("ada@example.com", PASSWORD))
