"""The outbox publisher: enqueues one Dramatiq message per outbox id, by actor name."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import UUID

import redis
from dramatiq import Broker, Message
from dramatiq.brokers.stub import StubBroker
from dramatiq.errors import BrokerError

from adapters.dramatiq.broker import DELIVER_MAIL, MAIL_QUEUE
from application.ports.outbox import PublishError


class DramatiqPublisher:
    """Enqueues without importing the actor (adapters know names, not the worker's code).

    `accepting` is False while nothing would consume the messages (the embedded worker is stopped), so
    rows stay for the relay of the next process that runs one.
    """

    def __init__(
        self, broker: Broker, *, actor_name: str = DELIVER_MAIL, queue_name: str = MAIL_QUEUE, accepting: bool = True
    ) -> None:
        self.broker = broker
        self.accepting = accepting
        self._actor_name = actor_name
        self._queue_name = queue_name
        self._blocking = not isinstance(broker, StubBroker)  # an in-process broker enqueues at once

    async def publish(self, message_ids: Sequence[UUID]) -> None:
        if not self.accepting:
            raise PublishError("no worker is running in this process")
        messages: list[Message] = [
            Message(queue_name=self._queue_name, actor_name=self._actor_name, args=(str(i),), kwargs={}, options={})
            for i in message_ids
        ]
        try:
            if self._blocking:  # network I/O: off the event loop
                await asyncio.to_thread(self._enqueue, messages)
            else:
                self._enqueue(messages)
        except (BrokerError, redis.RedisError, OSError) as exc:
            raise PublishError(f"broker unreachable: {type(exc).__name__}: {exc}") from exc

    def _enqueue(self, messages: list[Message]) -> None:
        for message in messages:
            self.broker.enqueue(message)
