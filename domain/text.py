"""What text the databases can hold: no NUL character, no unpaired surrogate (neither encodes to UTF-8)."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
NUL_MESSAGE = "must not contain a NUL character (U+0000)"
SURROGATE_MESSAGE = "must not contain an unpaired surrogate (U+D800 to U+DFFF)"


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored as it is, or None when it can.

    A surrogate pair sent as two escapes (`\\ud83d\\ude00`) is decoded to one code point before it gets
    here, so any surrogate left in a Python string is unpaired: PostgreSQL cannot hold it, nor NUL.
    """
    if "\x00" in text:
        return NUL_MESSAGE
    if not text.isascii() and _SURROGATE.search(text):
        return SURROGATE_MESSAGE
    return None
