"""Delivery use cases over in-memory fakes: idempotence, claims, retries and dead letters, the relay."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from uuid import UUID

import pytest

from application.delivery.deliver_mail import DeliverMail, Outcome
from application.delivery.failed_mail import ListFailedMail, RetryFailedMail
from application.mail import PASSWORD_RESET, VERIFY_EMAIL, queue_mail
from application.ports.mail import Email, MailError
from application.ports.outbox import PublishError
from domain.errors import NotFound
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.support.clock import FakeClock
from tests.support.mail import SAMPLES, queue_committed
from tests.support.wiring import fake_services


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.failures: list[MailError] = []

    async def send(self, mail: Email) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(mail)


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[UUID] = []
        self.down = False

    async def publish(self, message_ids: Sequence[UUID]) -> None:
        if self.down:
            raise PublishError("broker down")
        self.published.extend(message_ids)


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def mail_services(
    test_settings: Settings, clock: FakeClock, mailer: RecordingMailer, publisher: RecordingPublisher
) -> AsyncIterator[Services]:
    services = fake_services(
        test_settings,
        clock=clock,
        mailer=mailer,
        publisher=publisher,
    )
    yield services
    await services.aclose()


async def test_a_committed_mail_is_handed_on_once_right_after_commit(
    mail_services: Services, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    message_id = await queue_committed(mail_services)
    assert publisher.published == [message_id]
    assert await mail_services.mail.relay_all() == 0  # the timer leaves young rows to the hand-off
    await mail_services.mail.deliver(DeliverMail(message_id))
    clock.advance(hours=1)
    assert await mail_services.mail.relay_all() == 0  # sent: nothing left behind
    assert publisher.published == [message_id]


async def test_a_rolled_back_transaction_queues_nothing(
    mail_services: Services, publisher: RecordingPublisher, mailer: RecordingMailer, clock: FakeClock
) -> None:
    async with mail_services.uow() as uow:  # leaves without commit: rolls back
        await queue_mail(uow, clock, VERIFY_EMAIL, "ada@example.com", SAMPLES[VERIFY_EMAIL])
    clock.advance(hours=1)
    assert await mail_services.mail.relay_all() == 0
    assert publisher.published == []
    assert mailer.sent == []


async def test_delivering_the_same_record_twice_sends_one_mail(
    mail_services: Services, mailer: RecordingMailer
) -> None:
    message_id = await queue_committed(mail_services, VERIFY_EMAIL)
    first = await mail_services.mail.deliver(DeliverMail(message_id))
    second = await mail_services.mail.deliver(DeliverMail(message_id))
    assert (first.outcome, second.outcome) == (Outcome.SENT, Outcome.SKIPPED)
    assert [m.id for m in mailer.sent] == [message_id]
    assert mailer.sent[0].subject == "Verify your email"
    stored = await mail_services.mail.get(message_id)
    assert stored is not None
    assert stored.sent_at is not None


async def test_a_claimed_record_is_not_sent_again_until_its_claim_lapses(
    mail_services: Services, mailer: RecordingMailer, clock: FakeClock
) -> None:
    message_id = await queue_committed(mail_services)
    async with mail_services.uow() as uow:  # a delivery that claimed it and then died mid-send
        await uow.outbox.claim(message_id, at=clock.now(), until=clock.now().replace(minute=1))
        await uow.commit()
    busy = await mail_services.mail.deliver(DeliverMail(message_id))
    assert busy.outcome is Outcome.BUSY
    assert busy.retry_in == 60
    assert mailer.sent == []
    clock.advance(seconds=61)
    assert (await mail_services.mail.deliver(DeliverMail(message_id))).outcome is Outcome.SENT
    assert len(mailer.sent) == 1


async def test_a_failing_send_is_retried_then_dead_lettered_and_can_be_retried(
    mail_services: Services, mailer: RecordingMailer, publisher: RecordingPublisher
) -> None:
    message_id = await queue_committed(mail_services)
    attempts = mail_services.mail.ports.policy.max_attempts
    mailer.failures = [MailError("451 try later") for _ in range(attempts)]
    outcomes = [(await mail_services.mail.deliver(DeliverMail(message_id))).outcome for _ in range(attempts)]
    assert outcomes == [Outcome.RETRY] * (attempts - 1) + [Outcome.DEAD]
    assert (await mail_services.mail.deliver(DeliverMail(message_id))).outcome is Outcome.SKIPPED
    failed, total = await mail_services.mail.failed(ListFailedMail())
    assert total == 1
    assert [(m.id, m.attempts, m.last_error) for m in failed] == [(message_id, attempts, "451 try later")]

    await mail_services.mail.retry(RetryFailedMail(message_id))
    assert publisher.published.count(message_id) == 2
    assert (await mail_services.mail.deliver(DeliverMail(message_id))).outcome is Outcome.SENT
    assert await mail_services.mail.failed(ListFailedMail()) == ([], 0)
    with pytest.raises(NotFound):
        await mail_services.mail.retry(RetryFailedMail(message_id))


async def test_a_permanent_refusal_is_dead_lettered_at_once(mail_services: Services, mailer: RecordingMailer) -> None:
    message_id = await queue_committed(mail_services)
    mailer.failures = [MailError("550 no such user", permanent=True)]
    assert (await mail_services.mail.deliver(DeliverMail(message_id))).outcome is Outcome.DEAD
    _, total = await mail_services.mail.failed(ListFailedMail())
    assert total == 1


async def test_the_relay_catches_up_once_the_broker_is_back(
    mail_services: Services, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    publisher.down = True
    message_id = await queue_committed(mail_services, PASSWORD_RESET)  # the hand-off after commit fails
    assert publisher.published == []
    clock.advance(seconds=45)  # past the relay's grace
    with pytest.raises(PublishError):
        await mail_services.mail.relay_all()
    publisher.down = False
    assert await mail_services.mail.relay_all() == 1
    assert publisher.published == [message_id]
    assert await mail_services.mail.relay_all() == 0  # handed on: not again


async def test_a_message_the_broker_lost_is_handed_on_again_after_a_while(
    mail_services: Services, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    message_id = await queue_committed(mail_services)
    clock.advance(seconds=60)  # still unsent after the grace: the timer hands it on again, once
    assert await mail_services.mail.relay_all() == 1
    assert await mail_services.mail.relay_all() == 0
    clock.advance(seconds=mail_services.settings.mail_redispatch_after + 1)  # and lost again
    assert await mail_services.mail.relay_all() == 1
    assert publisher.published == [message_id, message_id, message_id]
    await mail_services.mail.deliver(DeliverMail(message_id))
    clock.advance(days=1)
    assert await mail_services.mail.relay_all() == 0  # sent: never again


async def test_a_mail_whose_worker_died_mid_send_is_handed_on_again_once_its_claim_lapses(
    mail_services: Services, publisher: RecordingPublisher, mailer: RecordingMailer, clock: FakeClock
) -> None:
    message_id = await queue_committed(mail_services)
    lease = mail_services.mail.ports.policy.lease
    async with mail_services.uow() as uow:  # claimed by a worker that is then killed: no send, no release
        await uow.outbox.claim(message_id, at=clock.now(), until=clock.now() + timedelta(seconds=lease))
        await uow.commit()
    assert await mail_services.mail.relay_all() == 0  # the claim may still be a send in progress
    clock.advance(seconds=lease + 1)
    assert await mail_services.mail.relay_all() == 1
    assert await mail_services.mail.relay_all() == 0  # handed on once, not at every sweep
    assert publisher.published == [message_id, message_id]
    assert (await mail_services.mail.deliver(DeliverMail(message_id))).outcome is Outcome.SENT
    clock.advance(days=1)
    assert await mail_services.mail.relay_all() == 0
    assert len(mailer.sent) == 1
