"""The words of a who-said verdict, shared by every shell so the CLI and Discord say the same thing.

The first line always starts with the verdict, because it is what a notification or a plain-text
client shows. A passage that says something else is never called a match, and "nothing says this"
is never printed beside a related passage.
"""

from __future__ import annotations

from bot.answer.types import SUPPORT_WORDS, Contradiction, WhoSaidAnswer

# Cues where the passage states the reverse of the claim; a changed number or a fused claim is
# "something else", not "the opposite".
_OPPOSITE = frozenset({"negation", "opposite", "role_swap"})


def _year(c: Contradiction) -> str:
    return f" ({c.quote.essay.date[:4]})" if c.quote.essay.date else ""


def contradiction_line(c: Contradiction) -> str:
    """ "Paul Mason, Ukraine: … (2022), says the opposite: says “excellent”, not “damaging”"."""
    if c.cue == "mix":
        return c.differs
    says = "says the opposite" if c.cue in _OPPOSITE else "says otherwise"
    return f"{c.quote.attribution}{_year(c)}, {says}: {c.differs}"


def headline(a: WhoSaidAnswer) -> str:
    """One line that starts with the verdict."""
    if a.verdict == "found":
        words = SUPPORT_WORDS[a.support or "says_this"]
        return f"Found. {words}." if not words.endswith(".") else f"Found. {words}"
    if a.contradicted_by:
        first = a.contradicted_by[0]
        if first.cue == "mix":
            return f"Not found: no essay in this library says that. {first.differs}."
        if a.author_filter:
            return f"Not found: {a.author_filter} doesn't say that. {contradiction_line(first)}."
        return f"Not found: no essay in this library says that. {contradiction_line(first)}."
    if a.author_filter:
        return f"Not found: nothing in {a.author_filter}'s essays clearly says this."
    if a.closest:
        return "Not found: no passage clearly says this."
    return "Not found: nothing in this library says this."
