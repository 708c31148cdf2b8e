"""Polarity: does the passage deny what the claim affirms, or pull the other way on the same words?

Counting "not" over a whole window misfires both ways: a window of three sentences holds negations about
other things ("not publicly available (at least, not that I was able to find)"), and an essay often
reports a view in order to reject it ("overly optimistic to claim that defeat leads to revolution"). So
polarity is read in the one sentence of the window that shares most words with the claim, phrase by
phrase: the negated phrase must be the same on both sides, a text affirms only when it holds no
negator, and nothing under a reporting verb or an "if" counts. A direction word contradicts only when
the passage has words of the other direction, and none of its own, around the same shared words.

:func:`contradiction` is the verifier's entry point: numbers, swapped roles, then polarity.
"""

from __future__ import annotations

import re

from bot.answer.cues import (
    MIN_VALENCE,
    NEAR_ANCHOR,
    NEGATED_COMPLEMENT,
    NEGATING_VERBS,
    NEGATORS,
    NOT_NEGATING,
    SOFT_NEGATORS,
    STEMMER,
    STOPWORDS,
    TOPIC_WORDS,
    Cue,
    Words,
    directional,
    number_cue,
    overlap,
    role_cue,
    valence,
    wordlist,
    words,
)

# A passage must repeat this share of the claim's content words before a flipped "not" or an
# opposite word counts against it: below it, the two texts are saying different things anyway.
MIN_OVERLAP_POLARITY = 0.4

NEGATION_SCOPE = 3  # words after a negator that it negates ("would not restore the …")
# Words that put what follows in someone's mouth or mind, or make it a supposition: a negation (or
# its absence) under them is the reported or supposed view's, not the author's.
UNASSERTED = wordlist(
    """
    claim claims claimed claiming argue argues argued arguing say says said saying think thinks
    thought believe believes believed assume assumes assumed assert asserts asserted suggest suggests
    suggested pretend pretends pretended imagine imagines imagined deny denies denied insist insists
    insisted declare declares declared assure assures assured assuring accuse accuses accused
    if unless whether
    """
)
_TOPIC_STEMS = frozenset(STEMMER.stemWords(sorted(TOPIC_WORDS)))
_UNASSERTED_STEMS = frozenset(STEMMER.stemWords(sorted(UNASSERTED)))
# A sentence ends at a full stop before a capital, but not inside "U.S." or "E.U.".
_SENTENCE = re.compile(r"(?<!\.[A-Z]\.)(?:(?<=[.!?])|(?<=[.!?][”\"’)]))\s+(?=[A-Z“\"‘'(])")
_CLAUSE = re.compile(r"[,;:()—–]")
_NOT_NEGATING_PAIRS = NOT_NEGATING | {("not", "just"), ("not", "merely"), ("not", "simply")}


def _negators(w: Words) -> list[int]:
    """Positions of the words that negate what follows."""
    out = []
    for i, x in enumerate(w.lower):
        nxt = w.lower[i + 1] if i + 1 < len(w.lower) else ""
        if ((x in NEGATORS or x in SOFT_NEGATORS) and (x, nxt) not in _NOT_NEGATING_PAIRS) or (
            x in NEGATING_VERBS and nxt in NEGATED_COMPLEMENT
        ):
            out.append(i)
    return out


def _unasserted(w: Words, i: int) -> bool:
    """Word ``i`` stands under a reporting verb or an "if" earlier in its sentence."""
    return any(
        x in UNASSERTED or s in _UNASSERTED_STEMS for x, s in zip(w.lower[:i], w.stems[:i], strict=True)
    )


def _negated(text: str) -> set[str]:
    """Stems of the content words a negator directly governs inside its clause, outside reported ones."""
    w = words(text)
    # Where each word's clause ends: "when that failed, plan B is …" negates nothing after the comma.
    ends: list[int] = []
    for part in _CLAUSE.split(text):
        n = len(words(part).surface)
        ends.extend([len(ends) + n] * n)
    if len(ends) != len(w.surface):
        ends = [len(w.surface)] * len(w.surface)
    out: set[str] = set()
    for n in _negators(w):
        if _unasserted(w, n):
            continue
        for j in range(n + 1, min(ends[n], n + 1 + NEGATION_SCOPE)):
            if w.lower[j] not in STOPWORDS and w.lower[j] not in NEGATORS:
                out.add(w.stems[j])
    return out


def best_sentence(claim: Words, passage: str) -> str:
    """The sentence of a passage sharing most words with the claim.

    Polarity is compared there only: the other sentences of a window speak of other things.
    """
    parts = [s for s in _SENTENCE.split(passage) if s.strip()] or [passage]
    mine = claim.content
    return max(parts, key=lambda s: len(mine & words(s).content))


def negation_flip(claim_text: str, sentence_text: str) -> Cue | None:
    """A phrase both use is negated in one and plainly affirmed in the other ("would **not** restore").

    The negated phrase must be the same on both sides: every word the claim's negator governs is in
    the sentence, or most of those the sentence's negator governs are in the claim. A text affirms
    only when it holds no negator at all and no reporting verb or "if" stands above the words.
    """
    claim, sentence = words(claim_text), words(sentence_text)
    shared = claim.content & sentence.content
    claim_scope, sentence_scope = _negated(claim_text), _negated(sentence_text)
    if claim_scope & sentence_scope & shared:
        return None  # both deny the same thing: they agree
    plain_claim = not _negators(claim) and not _unasserted(claim, len(claim.lower))
    if plain_claim and sentence_scope and 2 * len(sentence_scope & shared) >= len(sentence_scope):
        n = next(i for i in _negators(sentence) if not _unasserted(sentence, i))
        return Cue("negation", "says “" + " ".join(sentence.surface[max(0, n - 2) : n + 4]) + "”")
    plain_sentence = not _negators(sentence) and not _unasserted(sentence, len(sentence.lower))
    if plain_sentence and claim_scope and claim_scope <= shared:
        return Cue("negation", "has no “not” where you wrote one")
    return None


def opposite_words(claim: Words, sentence: Words) -> Cue | None:
    """A direction word of the claim faces only words of the other direction around the same shared words.

    Each direction word of the claim the sentence lacks is paired with the shared words next to it;
    the sentence contradicts it only when, around those shared words, it has direction words of the
    other sign and none of the claim's sign, and the claim itself pulls one way there ("Russia
    prospered" against "Russia was plundered", but not "Russia was looted" against "Russia was
    plundered; China was happy").
    """
    # "war" is shared by every sentence of these essays: what stands next to it qualifies anything.
    anchors = (claim.content & sentence.content) - _TOPIC_STEMS
    for i, stem in enumerate(claim.stems):
        v = valence(claim, i)
        if abs(v) < MIN_VALENCE or stem in sentence.stems or claim.lower[i] in SOFT_NEGATORS:
            continue
        near = set(claim.stems[max(0, i - NEAR_ANCHOR) : i + NEAR_ANCHOR + 1]) & anchors
        if not near or any((t > 0) != (v > 0) for _, t in directional(claim, near, anchors)):
            continue
        theirs = directional(sentence, near, anchors)
        if (
            theirs
            and all((t > 0) != (v > 0) for _, t in theirs)
            and abs(sum(t for _, t in theirs)) >= MIN_VALENCE
        ):
            word = max(theirs, key=lambda t: abs(t[1]))[0]
            return Cue("opposite", f"says “{word}”, not “{claim.surface[i]}”")
    return None


def contradiction(claim: str, passage: str) -> Cue | None:
    """The first rule cue that shows the passage says something other than the claim."""
    cw, pw = words(claim), words(passage)
    text = best_sentence(cw, passage)
    sentence = words(text)
    cue = number_cue(cw, pw) or role_cue(cw, sentence)
    if cue is None and overlap(cw, sentence) >= MIN_OVERLAP_POLARITY:
        cue = negation_flip(claim, text) or opposite_words(cw, sentence)
    return cue
