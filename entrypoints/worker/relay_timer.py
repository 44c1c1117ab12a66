"""The relay timer: sweeps the outbox for rows left behind, backing off while the broker or database is down."""

from __future__ import annotations

import asyncio
import logging

from application.delivery.service import MailService

log = logging.getLogger(__name__)


async def relay_forever(mail: MailService, *, interval: float, max_backoff: float = 60.0) -> None:
    delay = interval
    while True:
        try:
            count = await mail.relay_all()
        except Exception as exc:  # broker or database down: keep the rows, try again later
            delay = min(max(delay, interval) * 2, max_backoff)
            log.warning("outbox relay failed (%s: %s); next try in %.1fs", type(exc).__name__, exc, delay)
        else:
            if count:
                log.info("outbox relay handed on %d message(s) left behind", count)
            delay = interval
        await asyncio.sleep(delay)
