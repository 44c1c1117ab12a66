"""Query text as the search adapters see it: words only, so no query syntax ever reaches a parser raw."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 8
MAX_WORD = 40
#: Below this share of its trigrams found, a text is not a close match to a typed query.
FUZZY_THRESHOLD = 0.5


def words(text: str) -> list[str]:
    """The lower-case words of `text`: letters and digits only, at most MAX_WORDS of MAX_WORD characters."""
    return [w[:MAX_WORD] for w in _WORD.findall(text.lower())][:MAX_WORDS]


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    found: set[str] = set()
    for word in words(text):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def word_similarity(query: str, text: str) -> float:
    """The share of the query's trigrams that occur in `text` (in the spirit of pg_trgm's `<%`)."""
    wanted = trigrams(query)
    if not wanted:
        return 0.0
    return len(wanted & trigrams(text)) / len(wanted)
