"""The list envelope every collection uses: `{items, total, limit, offset}`."""

# No `from __future__ import annotations` here: Litestar resolves `Page[T]` field hints at runtime,
# and the PEP 695 parameter `T` is only in scope when annotations are evaluated eagerly.
from typing import Annotated

import msgspec
from litestar.params import Parameter

MAX_OFFSET = 2**31 - 1

Limit = Annotated[int, Parameter(ge=1, le=100, description="Page size, 1 to 100")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="Items to skip")]


class Page[T](msgspec.Struct):
    items: list[T]
    total: int
    limit: int
    offset: int
