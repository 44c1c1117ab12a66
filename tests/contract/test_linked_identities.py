"""The LinkedIdentityRepository contract, on the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.identity import Role
from domain.linked_identities import IdentityTaken, LinkedIdentity
from entrypoints.bootstrap import Services
from tests.support.builders import T0, add_user


async def test_links_are_unique_per_provider_and_subject(backend: Services) -> None:
    ann = await add_user(backend, "ann", role=Role.USER)
    bob = await add_user(backend, "bob", role=Role.USER)
    async with backend.uow() as uow:
        await uow.identities.add(LinkedIdentity(ann.id, "google", "g-1", "ann@example.com", T0 + timedelta(seconds=2)))
        await uow.identities.add(LinkedIdentity(ann.id, "github", "42", "ann@example.com", T0))
        await uow.commit()
    async with backend.uow() as uow:
        with pytest.raises(IdentityTaken):
            await uow.identities.add(LinkedIdentity(bob.id, "google", "g-1", "bob@example.com", T0))
        await uow.identities.add(LinkedIdentity(bob.id, "google", "g-2", None, T0))  # the uow goes on
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        found = await uow.identities.get("google", "g-1")
        assert found == LinkedIdentity(ann.id, "google", "g-1", "ann@example.com", T0 + timedelta(seconds=2))
        assert await uow.identities.get("github", "g-1") is None
        assert [(link.provider, link.subject) for link in await uow.identities.of_user(ann.id)] == [
            ("github", "42"),
            ("google", "g-1"),
        ]
        assert [link.email for link in await uow.identities.of_user(bob.id)] == [None]


async def test_links_go_with_unlinking_and_with_the_account(backend: Services) -> None:
    ann = await add_user(backend, "ann", role=Role.USER)
    async with backend.uow() as uow:
        for provider, subject in (("google", "g-1"), ("github", "42")):
            await uow.identities.add(LinkedIdentity(ann.id, provider, subject, None, T0))
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.identities.remove(ann.id, "google")
        assert not await uow.identities.remove(ann.id, "google")
        await uow.commit()
    async with backend.uow() as uow:
        assert [link.provider for link in await uow.identities.of_user(ann.id)] == ["github"]
        await uow.identities.remove_all(ann.id)
        await uow.users.delete(ann.id)
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        assert await uow.identities.get("github", "42") is None
