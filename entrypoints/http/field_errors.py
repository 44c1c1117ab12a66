"""Every offending field of a decoded JSON value, each by its own name (`title`, `items[2].quantity`).

msgspec stops at the first error, which keeps valid requests fast; a refused body is checked again here,
field by field, so that one answer names all of them. Leaves are checked by msgspec itself (the same
`convert` the request went through), so a message here is the message msgspec gives.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec

from domain.text import text_problem

#: (field, message)
FieldProblem = tuple[str, str]

_AT = re.compile(r" - at `\$(.*)`$")


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    name = key if key.isprintable() else ascii(key)[1:-1]
    return f"{path}.{name}" if path else name


def text_problems(value: Any, path: str = "") -> Iterator[FieldProblem]:
    """The strings (values and keys, at any depth) that the database could not hold."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            yield path or "body", problem
    elif isinstance(value, Mapping):
        for key, item in value.items():
            where = join(path, key)
            if isinstance(key, str) and (problem := text_problem(key)) is not None:
                yield where, f"the field name {problem}"
            yield from text_problems(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from text_problems(item, join(path, index))


def _unwrapped(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _members(annotation: Any) -> tuple[Any, ...]:
    annotation = _unwrapped(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        return tuple(_unwrapped(member) for member in get_args(annotation))
    return (annotation,)


def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    structs = [m for m in _members(annotation) if isinstance(m, type) and issubclass(m, msgspec.Struct)]
    return structs[0] if len(structs) == 1 else None


def _items_of(annotation: Any) -> Any | None:
    lists = [m for m in _members(annotation) if get_origin(m) is list]
    return get_args(lists[0])[0] if len(lists) == 1 else None


def _located(path: str, error: msgspec.ValidationError) -> FieldProblem:
    message = str(error)
    at = _AT.search(message)
    if at is None:
        return path or "body", message
    inner = at.group(1)  # `.quantity`, `[2].quantity`
    where = f"{path}{inner}" if path else inner.lstrip(".")
    return where or "body", message[: at.start()]


def field_problems(value: Any, annotation: Any, path: str = "") -> list[FieldProblem]:
    """Every field of `value` that does not fit `annotation` (a Struct, a list, a scalar...)."""
    try:
        msgspec.convert(value, annotation, strict=False)
        return []
    except msgspec.ValidationError as exc:
        first = exc
    struct = _struct_of(annotation)
    if struct is not None and isinstance(value, dict):
        found = _struct_problems(value, struct, path)
    elif (item := _items_of(annotation)) is not None and isinstance(value, list):
        found = [
            problem for index, each in enumerate(value) for problem in field_problems(each, item, join(path, index))
        ]
    else:
        found = []
    return found or [_located(path, first)]  # the container's own rule (a length) when its items are fine


def _struct_problems(value: dict[str, Any], struct: type[msgspec.Struct], path: str) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    for field in msgspec.structs.fields(struct):
        where = join(path, field.encode_name)
        if field.encode_name in value:
            found.extend(field_problems(value[field.encode_name], field.type, where))
        elif field.required:
            found.append((where, "Field required"))
    return found
