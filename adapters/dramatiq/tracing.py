"""Trace context across the broker: a message carries its sender's context in its options (W3C traceparent),
and its processing is a consumer span under it, so a checkout's trace continues in its mail job.
"""

from __future__ import annotations

import threading
from typing import Any

from dramatiq import Broker, Message, Middleware
from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

OPTION = "trace_context"
_tracer = trace.get_tracer("folio.dramatiq")


class TraceContext(Middleware):
    """Add to every broker that sends or runs messages (the API's and the worker's)."""

    def __init__(self) -> None:
        self._running: dict[str, tuple[Any, object]] = {}
        self._lock = threading.Lock()

    def before_enqueue(self, broker: Broker, message: Message, delay: int) -> None:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        if carrier and OPTION not in message.options:  # a retry keeps the context of the first send
            message.options[OPTION] = carrier

    def before_process_message(self, broker: Broker, message: Any) -> None:
        parent = propagate.extract(message.options.get(OPTION) or {})
        span = _tracer.start_span(
            f"{message.actor_name} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "dramatiq",
                "messaging.operation.type": "process",
                "messaging.destination.name": message.queue_name,
                "messaging.message.id": message.message_id,
                "folio.actor": message.actor_name,
                "folio.retries": message.options.get("retries", 0),
            },
        )
        # The actor's coroutine is handed to the loop thread from this thread, with a copy of its context.
        token = context.attach(trace.set_span_in_context(span, parent))
        with self._lock:
            self._running[message.message_id] = (span, token)

    def after_process_message(
        self, broker: Broker, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        with self._lock:
            running = self._running.pop(message.message_id, None)
        if running is None:
            return
        span, token = running
        if exception is not None:
            span.record_exception(exception)
            span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
        span.end()
        context.detach(token)  # type: ignore[arg-type]

    def after_skip_message(self, broker: Broker, message: Any) -> None:
        self.after_process_message(broker, message)
