"""A stand-in payment provider: approves totals up to a limit, declines larger ones."""

from __future__ import annotations

from decimal import Decimal

from application.ports.commerce import PaymentRequest, PaymentResult


class SimulatedPaymentGateway:
    """Approves every amount up to `limit` (FOLIO_PAYMENT_LIMIT); the same request twice gets the same answer."""

    def __init__(self, limit: Decimal) -> None:
        self._limit = limit

    async def charge(self, request: PaymentRequest) -> PaymentResult:
        reference = f"sim-{request.order_id}"
        if request.amount.amount > self._limit:
            return PaymentResult(False, reference, f"amount over the limit of {self._limit:.2f}")
        return PaymentResult(True, reference)
