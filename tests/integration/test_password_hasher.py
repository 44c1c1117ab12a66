"""PwdlibPasswordHasher: argon2id with deliberate parameters, bcrypt upgraded, rehash when parameters change."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import bcrypt
import pytest

from adapters.security import passwords
from adapters.security.passwords import GlibcHeap, PwdlibPasswordHasher

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


async def test_no_more_hashes_at_once_than_threads() -> None:
    hasher = PwdlibPasswordHasher(memory_kib=1024, time_cost=1, threads=2)
    inner = hasher._hash
    running = 0
    most = 0
    lock = threading.Lock()

    class Counting:
        def verify_and_update(self, password: str, hashed: str) -> tuple[bool, str | None]:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            try:
                return inner.verify_and_update(password, hashed)
            finally:
                with lock:
                    running -= 1

    hashed = await hasher.hash(PASSWORD)
    hasher._hash = Counting()  # type: ignore[assignment]
    results = await asyncio.gather(*(hasher.verify(PASSWORD, hashed) for _ in range(12)))
    assert results == [(True, None)] * 12
    assert most <= 2


def _resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(GlibcHeap.load() is None, reason="returning argon2's buffers is glibc's")
async def test_argon2_buffers_go_back_to_the_system_once_logins_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "IDLE_TRIM_SECONDS", 0.05)
    hasher = PwdlibPasswordHasher(memory_kib=16 * 1024, time_cost=1, threads=2)
    hashed = await hasher.hash(PASSWORD)
    before = _resident_mib()
    await asyncio.gather(*(hasher.verify(PASSWORD, hashed) for _ in range(8)))
    held = _resident_mib()
    assert held - before > 8  # each thread kept its 16 MiB buffer for the next hash
    await asyncio.sleep(1)
    assert _resident_mib() < held - 12
