"""PwdlibPasswordHasher: argon2id with deliberate parameters, bcrypt upgraded, rehash when parameters change."""

from __future__ import annotations

import threading

import bcrypt

from adapters.security.passwords import PwdlibPasswordHasher

PASSWORD = "a-long-enough-passphrase"


async def test_hashes_are_argon2id_with_the_configured_parameters() -> None:
    hashed = await PwdlibPasswordHasher(memory_kib=1024, time_cost=1).hash(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=1024,t=1,p=1$")


async def test_a_bcrypt_hash_verifies_and_is_upgraded() -> None:
    hasher = PwdlibPasswordHasher(memory_kib=1024, time_cost=1)
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    assert await hasher.verify("wrong-password", legacy) == (False, None)
    matches, upgraded = await hasher.verify(PASSWORD, legacy)
    assert matches
    assert upgraded is not None
    assert upgraded.startswith("$argon2id$")


async def test_changed_parameters_ask_for_a_rehash() -> None:
    old = await PwdlibPasswordHasher(memory_kib=1024, time_cost=1).hash(PASSWORD)
    matches, upgraded = await PwdlibPasswordHasher(memory_kib=2048, time_cost=2).verify(PASSWORD, old)
    assert matches
    assert upgraded is not None
    assert "m=2048,t=2" in upgraded
    assert await PwdlibPasswordHasher(memory_kib=1024, time_cost=1).verify(PASSWORD, old) == (True, None)


async def test_argon2_runs_off_the_event_loop_thread() -> None:
    hasher = PwdlibPasswordHasher(memory_kib=1024, time_cost=1)
    inner = hasher._hash
    threads: list[int] = []

    class Recording:
        """Records on which thread pwdlib is called (timing-based checks flake on a busy machine)."""

        def hash(self, password: str) -> str:
            threads.append(threading.get_ident())
            return inner.hash(password)

        def verify_and_update(self, password: str, hashed: str) -> tuple[bool, str | None]:
            threads.append(threading.get_ident())
            return inner.verify_and_update(password, hashed)

    hasher._hash = Recording()  # type: ignore[assignment]
    hashed = await hasher.hash(PASSWORD)
    await hasher.verify(PASSWORD, hashed)
    await hasher.burn()
    assert len(threads) == 4
    assert threading.get_ident() not in threads
