"""Email verification, password reset, rate limits and hash upgrades, over in-memory fakes."""

from __future__ import annotations

import bcrypt
import pytest

from application.identity.login import Login
from application.identity.recovery import ForgotPassword, ResetPassword
from application.identity.register import Register
from application.identity.verification import ResendVerification, VerifyEmail
from domain.errors import RateLimited
from domain.identity import InvalidCode, InvalidCredentials, WeakPassword
from entrypoints.bootstrap import Services
from tests.support.builders import add_user, set_user
from tests.support.clock import FakeClock
from tests.support.http import PASSWORD
from tests.support.identity import mails, reset_code, verification_token

NEW = "another-long-passphrase"


async def test_registration_queues_a_verification_link_that_verifies_once(memory_services: Services) -> None:
    user = await memory_services.identity.register(Register("ada@example.com", "ada", PASSWORD))
    [mail] = await mails(memory_services, "verify-email", "ada@example.com")
    assert mail.data["username"] == "ada"
    token = await verification_token(memory_services, user.email)
    verified = await memory_services.identity.verify_email(VerifyEmail(token))
    assert verified.is_verified
    assert (await memory_services.identity.get_user(user.id)).is_verified
    with pytest.raises(InvalidCode):
        await memory_services.identity.verify_email(VerifyEmail(token))


async def test_a_verification_link_expires_after_24_hours(memory_services: Services, clock: FakeClock) -> None:
    user = await memory_services.identity.register(Register("ada@example.com", "ada", PASSWORD))
    token = await verification_token(memory_services, user.email)
    clock.advance(hours=24, seconds=1)
    with pytest.raises(InvalidCode):
        await memory_services.identity.verify_email(VerifyEmail(token))
    with pytest.raises(InvalidCode):
        await memory_services.identity.verify_email(VerifyEmail("made-up"))


async def test_resend_mails_only_unverified_known_accounts(memory_services: Services) -> None:
    user = await memory_services.identity.register(Register("ada@example.com", "ada", PASSWORD))
    await memory_services.identity.resend_verification(ResendVerification("ADA@example.com"))
    await memory_services.identity.resend_verification(ResendVerification("nobody@example.com"))
    assert len(await mails(memory_services, "verify-email", user.email)) == 2
    assert await mails(memory_services, "verify-email", "nobody@example.com") == []
    verified = await add_user(memory_services, "bob")
    await memory_services.identity.resend_verification(ResendVerification(verified.email))
    assert len(await mails(memory_services, "verify-email", verified.email)) == 1  # only the registration's


async def test_reset_code_sets_a_new_password_and_revokes_sessions(memory_services: Services) -> None:
    user = await add_user(memory_services)
    session = await memory_services.identity.login(Login(user.email, PASSWORD))
    await memory_services.identity.forgot_password(ForgotPassword(user.email))
    code = await reset_code(memory_services, user.email)
    await memory_services.identity.reset_password(ResetPassword(user.email.upper(), code, NEW))
    assert await memory_services.identity.authenticate(session.access_token) is None
    with pytest.raises(InvalidCredentials):
        await memory_services.identity.login(Login(user.email, PASSWORD))
    await memory_services.identity.login(Login(user.email, NEW))
    with pytest.raises(InvalidCode):  # single use
        await memory_services.identity.reset_password(ResetPassword(user.email, code, "yet-another-passphrase"))


async def test_forgot_password_for_an_unknown_email_sends_nothing(memory_services: Services) -> None:
    await memory_services.identity.forgot_password(ForgotPassword("nobody@example.com"))
    assert await mails(memory_services, "password-reset", "nobody@example.com") == []


async def test_reset_code_expires_after_15_minutes(memory_services: Services, clock: FakeClock) -> None:
    user = await add_user(memory_services)
    await memory_services.identity.forgot_password(ForgotPassword(user.email))
    code = await reset_code(memory_services, user.email)
    clock.advance(minutes=15, seconds=1)
    with pytest.raises(InvalidCode):
        await memory_services.identity.reset_password(ResetPassword(user.email, code, NEW))


async def test_five_wrong_codes_burn_the_code(memory_services: Services) -> None:
    user = await add_user(memory_services)
    await memory_services.identity.forgot_password(ForgotPassword(user.email))
    code = await reset_code(memory_services, user.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(InvalidCode):
            await memory_services.identity.reset_password(ResetPassword(user.email, wrong, NEW))
    with pytest.raises(InvalidCode):
        await memory_services.identity.reset_password(ResetPassword(user.email, code, NEW))


async def test_four_wrong_codes_still_leave_the_right_one_working(memory_services: Services) -> None:
    user = await add_user(memory_services)
    await memory_services.identity.forgot_password(ForgotPassword(user.email))
    code = await reset_code(memory_services, user.email)
    for _ in range(4):
        with pytest.raises(InvalidCode):
            await memory_services.identity.reset_password(ResetPassword(user.email, "000000x", NEW))
    with pytest.raises(WeakPassword):  # a weak password spends no try
        await memory_services.identity.reset_password(ResetPassword(user.email, code, "short"))
    await memory_services.identity.reset_password(ResetPassword(user.email, code, NEW))


async def test_login_is_limited_per_email_then_recovers(memory_services: Services, clock: FakeClock) -> None:
    user = await add_user(memory_services)
    for _ in range(10):
        await memory_services.identity.login(Login(user.email, PASSWORD, "10.0.0.1"))
    with pytest.raises(RateLimited) as limited:
        await memory_services.identity.login(Login(user.email.upper(), PASSWORD, "10.0.0.2"))
    assert 0 < limited.value.retry_after <= 60
    clock.advance(seconds=60)
    await memory_services.identity.login(Login(user.email, PASSWORD, "10.0.0.1"))


async def test_login_is_limited_per_address(memory_services: Services) -> None:
    for n in range(60):
        with pytest.raises(InvalidCredentials):
            await memory_services.identity.login(Login(f"nobody{n}@example.com", "whatever-it-is", "10.0.0.9"))
    with pytest.raises(RateLimited):
        await memory_services.identity.login(Login("someone@example.com", "whatever-it-is", "10.0.0.9"))


async def test_forgot_password_is_limited_per_email_whether_or_not_it_exists(memory_services: Services) -> None:
    for email in ("ghost@example.com", (await add_user(memory_services)).email):
        for _ in range(5):
            await memory_services.identity.forgot_password(ForgotPassword(email))
        with pytest.raises(RateLimited) as limited:
            await memory_services.identity.forgot_password(ForgotPassword(email))
        assert limited.value.retry_after > 60 * 59


async def test_reset_password_is_limited_per_email(memory_services: Services) -> None:
    for _ in range(20):
        with pytest.raises(InvalidCode):
            await memory_services.identity.reset_password(ResetPassword("ghost@example.com", "123456", NEW))
    with pytest.raises(RateLimited):
        await memory_services.identity.reset_password(ResetPassword("ghost@example.com", "123456", NEW))


async def test_a_bcrypt_hash_verifies_and_is_rehashed_to_argon2(memory_services: Services) -> None:
    user = await add_user(memory_services)
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    await set_user(memory_services, user.id, password_hash=legacy)
    with pytest.raises(InvalidCredentials):
        await memory_services.identity.login(Login(user.email, "not-the-password"))
    assert (await memory_services.identity.get_user(user.id)).password_hash == legacy
    await memory_services.identity.login(Login(user.email, PASSWORD))
    upgraded = (await memory_services.identity.get_user(user.id)).password_hash
    assert upgraded.startswith("$argon2id$")
    await memory_services.identity.login(Login(user.email, PASSWORD))
