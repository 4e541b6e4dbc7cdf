"""User text as a safe full-text query: websearch syntax for FTS5, terms for suggestions.

PostgreSQL parses user text itself (`websearch_to_tsquery` never fails); FTS5 reports a syntax
error on a stray quote or operator, so its queries are rebuilt here from quoted terms. Both
follow the websearch rules: words are all required, `"..."` is a phrase, `or` between two
terms accepts either, `-word` excludes; English stop words are dropped as PostgreSQL does.
"""

from __future__ import annotations

import re

WORD = re.compile(r"\w+")
TOKEN = re.compile(r'"[^"]*"?|\S+')
MIN_TERM_LENGTH = 3
MAX_SUGGESTION_TERMS = 30

# PostgreSQL's `english` stop words (snowball), so that both databases ignore the same words.
_ENGLISH_STOP_WORDS = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
her hers herself it its itself they them their theirs themselves what which who whom this that
these those am is are was were be been being have has had having do does did doing a an the and
but if or because as until while of at by for with about against between into through during
before after above below to from up down in out on off over under again further then once here
there when where why how all any both each few more most other some such no nor not only own
same so than too very s t can will just don should now
"""
STOP_WORDS = frozenset(_ENGLISH_STOP_WORDS.split())


def _quoted(words: list[str]) -> str:
    return '"' + " ".join(words).replace('"', '""') + '"'


def _term(token: str) -> str | None:
    """A bare word (or a word with inner punctuation, e.g. "e-mail", as a phrase)."""
    words = [w for w in WORD.findall(token) if w.lower() not in STOP_WORDS]
    return _quoted(words) if words else None


def _phrase(token: str) -> str | None:
    words = WORD.findall(token)  # stop words stay: a phrase matches adjacent words
    return _quoted(words) if words else None


def fts5_query(text: str) -> str | None:
    """An FTS5 MATCH expression for websearch-style ``text``; None when nothing is left."""
    required: list[list[str]] = []  # each an OR group of terms
    excluded: list[str] = []
    pending_or = False
    for token in TOKEN.findall(text):
        if token.lower() == "or":
            pending_or = bool(required)
            continue
        negated = token.startswith("-") and len(token) > 1
        body = token[1:] if negated else token
        term = _phrase(body) if body.startswith('"') else _term(body)
        if term is None:
            continue
        if negated:
            excluded.append(term)
        elif pending_or:
            required[-1].append(term)
        else:
            required.append([term])
        pending_or = False
    if not required:
        return None
    groups = [g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")" for g in required]
    expression = "(" + " AND ".join(groups) + ")"
    return expression + "".join(f" NOT {term}" for term in excluded)


def significant_terms(*texts: str | None) -> list[str]:
    """Distinct lower-case words of ``texts`` worth searching for: no stop words, numbers or
    words shorter than three letters; at most the first thirty."""
    terms: dict[str, None] = {}
    for text in texts:
        for word in WORD.findall(text or ""):
            lower = word.lower()
            if len(lower) >= MIN_TERM_LENGTH and lower not in STOP_WORDS and not lower.isdigit():
                terms.setdefault(lower)
    return list(terms)[:MAX_SUGGESTION_TERMS]


def any_of_fts5(terms: list[str]) -> str | None:
    """An FTS5 expression matching any of ``terms``."""
    return " OR ".join(_quoted([term]) for term in terms) or None


def any_of_websearch(terms: list[str]) -> str | None:
    """A `websearch_to_tsquery` text matching any of ``terms`` (plain words only)."""
    return " or ".join(terms) or None
