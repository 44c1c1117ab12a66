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


#: PostgreSQL's English stop words (tsearch_data/english.stop): full-text search drops them, so a query
#: of these alone would match nothing there, and a word this common would match nearly everything.
_ENGLISH_STOP = (
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers"
    " herself it its itself they them their theirs themselves what which who whom this that these those am is"
    " are was were be been being have has had having do does did doing a an the and but if or because as until"
    " while of at by for with about against between into through during before after above below to from up"
    " down in out on off over under again further then once here there when where why how all any both each"
    " few more most other some such no nor not only own same so than too very s t can will just don should now"
)
STOP_WORDS = frozenset(_ENGLISH_STOP.split(" "))


def title_prefix(q: str) -> str | None:
    """For a query of stop words only (`the`, `of the`): its words as a title prefix; otherwise None.

    Such a query is answered by the titles that begin with it (bounded by the title index), never by
    the full-text search (which drops every word) nor the typo fallback (which would score every title)."""
    found = words(q)
    if not found or not all(word in STOP_WORDS for word in found):
        return None
    return " ".join(found)
