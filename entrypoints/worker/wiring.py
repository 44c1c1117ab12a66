"""Builds the mail ports from settings, for bootstrap(): mailer, renderer, publisher, policy."""

from __future__ import annotations

from dataclasses import dataclass

from dramatiq import Broker

from adapters.dramatiq.broker import make_broker
from adapters.dramatiq.publisher import DramatiqPublisher
from adapters.mail.files import FileMailer
from adapters.mail.smtp import SmtpConfig, SmtpMailer
from adapters.mail.templates import JinjaMailRenderer
from application.ports.mail import Mailer, MailPolicy, MailPorts
from application.ports.outbox import Publisher
from entrypoints.settings import Settings
from entrypoints.tracing import broker_middleware


@dataclass(frozen=True, slots=True)
class MailWiring:
    ports: MailPorts
    #: Set when this process must run its own worker (no Valkey): the in-process broker and its publisher.
    embedded: tuple[Broker, DramatiqPublisher] | None
    #: The broker this process publishes to, when it built one (other queues, e.g. imports, share it).
    broker: Broker | None = None


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                user=settings.smtp_user,
                password=settings.smtp_password,
                security=settings.smtp_tls,
                timeout=settings.smtp_timeout,
                sender=settings.mail_from,
            )
        )
    return FileMailer(settings.mail_dir, settings.mail_from)


def mail_policy(settings: Settings) -> MailPolicy:
    return MailPolicy(
        max_attempts=settings.mail_max_attempts,
        lease=2 * settings.smtp_timeout + 5,  # the SMTP mailer cuts a send off after smtp_timeout
        # Rows are handed on right after their commit without being marked; the timer re-sends those
        # still unsent after this long, so it must outlast a busy queue's wait, not just the commit
        # (a shorter grace re-sent the backlog of a checkout burst, see bench/checkout.py).
        relay_grace=max(30.0, 5 * settings.relay_interval),
        redispatch_after=settings.mail_redispatch_after,
    )


def build_mail(settings: Settings, *, publisher: Publisher | None, mailer: Mailer | None) -> MailWiring:
    embedded: tuple[Broker, DramatiqPublisher] | None = None
    broker: Broker | None = None
    if publisher is None:
        broker = make_broker(
            settings.valkey_url,
            prefix=settings.valkey_prefix,
            min_backoff_ms=settings.mail_retry_backoff * 1000,
            asyncio_middleware=False,  # this process only publishes, or runs actors on its own loop
        )
        for middleware in broker_middleware():  # each message carries its sender's trace context
            broker.add_middleware(middleware)
        dramatiq_publisher = DramatiqPublisher(broker, accepting=settings.valkey_url is not None)
        if settings.valkey_url is None:
            embedded = (broker, dramatiq_publisher)
        publisher = dramatiq_publisher
    ports = MailPorts(
        mailer=mailer or make_mailer(settings),
        renderer=JinjaMailRenderer(),
        publisher=publisher,
        policy=mail_policy(settings),
    )
    return MailWiring(ports, embedded, broker)
