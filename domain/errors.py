"""Domain errors. Each carries a stable `code`, which the HTTP edge turns into a problem type."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a use case may raise on purpose."""

    code = "conflict"
    title = "Conflict"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class NotFound(DomainError):
    code = "not-found"
    title = "Not found"

    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"{what} not found")


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"
    title = "Unauthorized"


class InvalidField(DomainError):
    """A value breaks a domain rule; reported like request validation, on one field."""

    code = "validation"
    title = "Validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RateLimited(DomainError):
    code = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"try again in {retry_after} s")
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A dependency (the database, Valkey) cannot answer now; the same request may succeed later."""

    code = "unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str = "", *, retry_after: int = 2) -> None:
        super().__init__(detail or "a service Folio needs is unavailable; try again shortly")
        self.retry_after = retry_after
