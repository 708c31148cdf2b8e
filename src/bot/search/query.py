"""Turn what people type into something to search for.

Questions arrive as ``who wrote "…"?``, ``lol who said X`` or a bare quote. We keep a quoted span when
there is one, drop the question scaffolding, and remember whether the text looks like a quotation
(which decides whether a misquote verdict makes sense).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.errors import BadQueryError

MAX_QUERY_CHARS = 2000
MIN_QUOTED_WORDS = 3

# Double quotes; or single quotes opened after a space, where an apostrophe inside a word (won't)
# does not close the span.
_QUOTED = re.compile(
    r"[\"“”„«»]([^\"“”„«»]{3,})[\"“”„«»]"
    r"|(?:^|\s)[‘']((?:[^‘’']|[’'](?=\w)){8,}?)[’'](?=\s|[?.!,;:]|$)"
)
_FILLER = (
    r"(?:lol|lmao|ok(?:ay)?|so|hey|um+|uh+|hmm+|wait|btw|yo|pls|please|seriously|honestly|like)[,!.]*\s+"
)
_ASKER = (
    r"(?:who|which\s+(?:author|writer|essay|article|piece|group|one)s?|what\s+(?:author|essay|article)"
    r"|does\s+anyone|did\s+(?:anyone|someone|somebody)|has\s+anyone|is\s+there\s+(?:anyone|an?\s+essay)"
    r"(?:\s+that)?|anyone|somebody|someone)"
)
_VERBS = (
    r"(?:said|says|say|wrote|writes|write|written|claimed|claims|claim|argued|argues|argue|thinks|think|"
    r"believes?|stated|states|state|mentioned|mentions|mention|noted|notes|note|reported|reports|report|"
    r"called|calls|call|described|describes|describe|wants|want|warned|warns|warn|suggested|suggests|"
    r"insisted|insists|predicted|predicts|recommended|recommends|praised|praises|criticised|criticized|"
    r"talked\s+about|talks\s+about|speaks?\s+of|spoke\s+of|compared|compares|defended|defends|denied|denies|"
    r"quoted|quotes|quote|used\s+the\s+(?:phrase|words?|line)|made\s+the\s+(?:point|argument|claim))"
)
_SCAFFOLD = re.compile(
    rf"^(?:{_FILLER})*{_ASKER}(?:\s+(?:actually|really|first|ever|here|in\s+the\s+corpus))?"
    rf"(?:\s+(?:has|have|had|did|does|do))?\s+{_VERBS}\b(?:\s+(?:that|this|it|the\s+(?:line|phrase|words?)))?[\s:,]*",
    re.IGNORECASE,
)
_LEADING_FILLER = re.compile(rf"^(?:{_FILLER})+", re.IGNORECASE)
_TRAILING = re.compile(r"[\s?!.,;:]+$")
# Lone surrogates: invalid bytes on a command line (decoded with surrogateescape) or a "\ud800"
# escape in JSON. No encoder or tokenizer accepts them, so they are refused here, where every shell's
# queries are parsed.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


@dataclass(frozen=True)
class ParsedQuery:
    """What to search for, derived from the raw query."""

    raw: str
    text: str  # the searchable text: a quoted span, or the question without its scaffolding
    quoted: bool  # the user put the words in quotation marks
    question: bool  # the user asked a question ("who said …?") rather than pasting words

    @property
    def quote_like(self) -> bool:
        """Looks like somebody's words (worth an exact/near check and a misquote verdict)."""
        return self.quoted or not self.question


@dataclass(frozen=True)
class ParsedTopic:
    """A compare or positions topic, validated and tidied once."""

    raw: str
    text: str  # what is searched for, and shown as the answer's topic


def clean_input(raw: str, *, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Validate and tidy raw user text; raises :class:`BadQueryError` with a friendly message."""
    if len(raw) > max_chars:
        raise BadQueryError(f"That query is {len(raw):,} characters long; the limit is {max_chars:,}.")
    if _SURROGATE.search(raw):
        raise BadQueryError("The query is not valid text (invalid bytes or a lone surrogate); retype it.")
    text = unicodedata.normalize("NFC", _CONTROL.sub("", raw))
    text = " ".join(text.split())
    if not any(ch.isalnum() for ch in text):
        raise BadQueryError("The query is empty: give a quote or a claim to look for.")
    return text


def parse_query(raw: str, *, max_chars: int = MAX_QUERY_CHARS) -> ParsedQuery:
    """Extract the searchable part of a who-said query."""
    text = clean_input(raw, max_chars=max_chars)
    quoted_spans = [m.group(1) or m.group(2) for m in _QUOTED.finditer(text)]
    quoted_spans = [q.strip() for q in quoted_spans if len(q.split()) >= MIN_QUOTED_WORDS]
    stripped = _SCAFFOLD.sub("", text, count=1)
    question = stripped != text or text.rstrip().endswith("?")
    if quoted_spans:
        best = max(quoted_spans, key=len)
        return ParsedQuery(raw=raw, text=best, quoted=True, question=question)
    stripped = _LEADING_FILLER.sub("", stripped)
    stripped = _TRAILING.sub("", stripped).strip()
    if not any(ch.isalnum() for ch in stripped):
        stripped = _TRAILING.sub("", text).strip()  # the whole query was scaffolding: search it as is
    return ParsedQuery(raw=raw, text=stripped, quoted=False, question=question)


def parse_topic(raw: str, *, max_chars: int = MAX_QUERY_CHARS) -> ParsedTopic:
    """Validate a compare or positions topic (the same rules as a who-said query)."""
    return ParsedTopic(raw=raw, text=clean_input(raw, max_chars=max_chars))
