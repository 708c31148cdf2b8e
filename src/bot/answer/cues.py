"""Rule signals that tell "the passage says X" from "the passage says not-X".

A bi-encoder puts "X would restore Y" and "X would not restore Y" almost on top of each other, so the
verifier looks at what differs between a claim and a passage window: numbers and years, negation,
words of opposite direction, and who does what to whom. Each function compares one claim with one
passage text and returns a :class:`Cue` (what differs, in words a reader can check) or ``None``.

The sentiment lexicon is VADER's (MIT licence, shipped inside the ``vaderSentiment`` package); a short
reviewed list adds direction words VADER lacks ("plundered", "lend momentum", "set back").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import Stemmer

from bot.textnorm import normalize

CueKind = Literal["number", "negation", "opposite", "role_swap", "mix", "moderators"]

STEMMER = Stemmer.Stemmer("english")
# Hyphenated compounds stay one word: the "no" of "no-fly zone" negates nothing.
# Digit groups stay one number ("41,000,000"), hyphenated compounds one word.
_WORD = re.compile(r"\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?\b|[\w']+(?:-[\w']+)*")


def wordlist(text: str) -> frozenset[str]:
    """A word list written as text, one space between words."""
    return frozenset(text.split())


# Valence below this (absolute, on VADER's -4..4 scale) is too weak to call a word's direction.
MIN_VALENCE = 1.0

STOPWORDS = wordlist(
    """
    a an the and or but if of to in on at by for with from as into onto than then that this these
    those it its it's is are was were be been being has have had having do does did will would shall
    should can could may might must there their they them he she him her his hers we us our you your
    i me my who whom whose which what when where why how all any some such so very too also just
    only even still about over under after before between through during up down out off again
    further once here s t own same other each both few more most much many one ones said says say
    wrote write writes written argued argues argue claimed claims claim thinks think believes
    believe stated states noted notes mentioned mentions called calls call warned warns warn
    suggested suggests insisted insists reported reports described describes someone anyone somebody
    author authors essay writer whose wants want
    """
)
SOFT_NEGATORS = wordlist(
    """
    oppose opposes opposed opposing refuse refuses refused refusing rejects rejected rejecting
    unable incapable impossible fail fails failed unlikely short-lived
    """
)
NEGATORS = wordlist(
    """
    not no never nothing none nobody neither nor without cannot can't won't don't doesn't didn't
    isn't aren't wasn't weren't wouldn't shouldn't couldn't hasn't haven't hadn't mustn't lack lacks
    isnt arent wasnt werent dont doesnt didnt wont cant wouldnt shouldnt couldnt hasnt havent hadnt
    """
)
# Nouns VADER scores as strongly negative that, in essays about a war, name the topic rather than a
# stance: "war" in a claim says nothing about whether the claim is for or against anything.
TOPIC_WORDS = wordlist(
    """
    war wars warfare peace weapons weapon arms military army armies troops crisis conflict invasion
    violence enemy enemies fascist fascists fascism propaganda imperialism imperialist imperialists
    oppression oppressed killed killing kill killings death deaths died crimes crime criminal terror
    terrorist threat threats threatened fight fighting fought attack attacks dictatorship prisoners
    sanctions sanction aggression protest protests protesting protesters resist resisting resistance
    """
)
# Words that say a statement is true or plain ("made it clear", "it is true that"): VADER scores them
# as positive, but they assert, they do not take a direction.
ASSERTIVE = wordlist(
    """
    clear clearly true truly sure surely certain certainly indeed obvious obviously plain plainly
    """
)
# Question scaffolding that carries no stance: dropped before comparing a claim with a passage.
_ASKER = re.compile(
    r"^\s*(?:who|which\s+(?:author|writer|essay|article|group)s?|whose\s+\w+|what\s+(?:author|essay))\b\s*",
    re.IGNORECASE,
)
_ASKING_VERB = re.compile(r"^(?:(?:has|have|had|did|does|do)\s+)?[\w']+\s+(?:that\s+)?", re.IGNORECASE)
# Direction words missing from VADER or weighed there in a way that misleads on political prose.
_DIRECTION: dict[str, float] = {
    "prosper": 2.0,
    "prospered": 2.0,
    "thrive": 2.0,
    "thrived": 2.0,
    "flourish": 2.0,
    "flourished": 2.0,
    "benefit": 1.5,
    "benefited": 1.5,
    "gain": 1.2,
    "gained": 1.2,
    "momentum": 1.5,
    "spur": 1.5,
    "plunder": -2.5,
    "plundered": -2.5,
    "looted": -2.5,
    "setback": -1.8,
    "hinder": -1.8,
    "hamper": -1.8,
    "impede": -1.8,
    "stifle": -1.8,
    "dismiss": -1.5,
    "dismissed": -1.5,
    "minor": -1.2,
    "negligible": -1.5,
    "insignificant": -1.5,
    "important": 1.2,
    "decisive": 1.2,
    "outlaw": -2.0,
    "outlawed": -2.0,
    "prohibit": -1.8,
    "prohibited": -1.8,
    "openly": 1.2,
}
# Two-word phrases whose direction their words alone do not give.
_PHRASES: dict[tuple[str, str], float] = {
    ("set", "back"): -1.8,
    ("played", "down"): -1.5,
    ("play", "down"): -1.5,
    ("turning", "point"): 1.5,
    ("great", "power"): 0.0,  # a term for a state's rank, not praise
    ("great", "powers"): 0.0,
}


@dataclass(frozen=True)
class Cue:
    """One reason a passage does not say what the claim says."""

    kind: CueKind
    differs: str  # "says 1793, not 1654"; "says it would **not** …"


@dataclass(frozen=True)
class Words:
    """A text's words: surface forms, lower-case forms and stems, in order."""

    surface: tuple[str, ...]
    lower: tuple[str, ...]
    stems: tuple[str, ...]

    @property
    def content(self) -> set[str]:
        """Stems of the content words (no stop words, no negators)."""
        return {
            s for w, s in zip(self.lower, self.stems, strict=True) if w not in STOPWORDS and w not in NEGATORS
        }


@functools.lru_cache(maxsize=2048)
def words(text: str) -> Words:
    """Tokenise ``text`` once for every cue (remembered: each cue of a question reads the same texts)."""
    # One normalisation of the whole text, then the same words found in it: normalising word by word
    # cost more than the rest of verification together.
    surface = tuple(_WORD.findall(text.replace("’", "'").replace("‘", "'")))
    lowered = normalize(" ".join(surface)).split(" ")
    lower = tuple(lowered) if len(lowered) == len(surface) else tuple(normalize(w) for w in surface)
    return Words(surface, lower, tuple(STEMMER.stemWords(list(lower))))


def claim_text(raw: str) -> str:
    """The claim inside a question: "Who warned that X?" gives "X".

    The asking verb ("warned", "criticised", "admits") says how the author stands towards the claim,
    not which way the claim itself points, so it is dropped along with "who".
    """
    text = raw.strip()
    stripped = _ASKER.sub("", text, count=1)
    if stripped != text:
        stripped = _ASKING_VERB.sub("", stripped, count=1)
    return stripped.rstrip(" ?!.")


# -- numbers ------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "hundred": 100, "thousand": 1000, "dozen": 12, "dozens": 24, "hundreds": 200, "thousands": 2000,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "tenth": 10,
}  # fmt: skip
_SCALE = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_HEDGES = wordlist(
    """
    around about roughly approximately some nearly almost over more than under up to
    """
)
_NUM = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _word_value(word: str) -> float | None:
    """The value of one word: "1,500", "2nd", "forty-one", "second"; None for other words."""
    if _NUM.fullmatch(word):
        return float(word.replace(",", ""))
    if word[:-2].isdigit() and word.endswith(("st", "nd", "rd", "th")):
        return float(word[:-2])
    parts = word.split("-")
    if all(p in _NUMBER_WORDS for p in parts):
        return float(sum(_NUMBER_WORDS[p] for p in parts))  # "forty-one" -> 41
    return None


def numbers(w: Words) -> list[tuple[float, bool, str]]:
    """Numbers in the text: value, whether hedged ("around 1,000"), and how it was written."""
    found: list[tuple[float, bool, str]] = []
    for i, word in enumerate(w.lower):
        value = _word_value(word)
        nxt = w.lower[i + 1] if i + 1 < len(w.lower) else ""
        # "one" is mostly a pronoun ("the one that…"); it is a number before a scale or a unit.
        if value is None or (word == "one" and nxt not in _SCALE and not nxt.startswith("year")):
            if word.startswith("one-year"):
                found.append((1.0, False, w.surface[i]))
            continue
        if nxt in _SCALE:
            value *= _SCALE[nxt]
        hedged = any(x in _HEDGES for x in w.lower[max(0, i - 2) : i])
        found.append((value, hedged, w.surface[i]))
    return found


def _is_year(v: float, written: str) -> bool:
    """A year is written as four bare digits: "1,500" and "a thousand" are counts, not years."""
    return 1000 <= v <= 2100 and written[:4].isdigit() and not written[4:5].isdigit()


def _kinds(found: list[tuple[float, bool, str]]) -> list[tuple[float, bool, str, bool]]:
    """Each number with whether it is a year; four digits beside a small count ("900 – 1500") are a count."""
    out = []
    for k, (value, hedged, written) in enumerate(found):
        beside = [found[j][0] for j in (k - 1, k + 1) if 0 <= j < len(found)]
        year = _is_year(value, written) and not any(b < 1000 for b in beside)
        out.append((value, hedged, written, year))
    return out


def number_cue(claim: Words, passage: Words) -> Cue | None:
    """A number or year in the claim that the passage gives differently ("says 1793, not 1654")."""
    theirs = _kinds(numbers(passage))
    if not theirs:
        return None
    for value, hedged, written, year in _kinds(numbers(claim)):
        if any(t[0] == value for t in theirs):
            continue  # the same value, whatever it counts
        same_kind = [t for t in theirs if t[3] == year]
        if not same_kind:
            continue
        hedging = hedged or any(t[1] for t in same_kind)
        # "around a thousand" against "900 – 1500": only a far-off value counts as a change.
        if hedging and any(t[0] / 2 <= value <= t[0] * 2 for t in same_kind):
            continue
        return Cue("number", f"says {same_kind[0][2]}, not {written}")
    return None


# -- negation -----------------------------------------------------------------------------------


# Idioms with a negator that negate nothing ("no less than", "not only … but"), and verbs that
# negate what follows ("stopped being", "ceased to") though no negator is written.
NOT_NEGATING = frozenset({("no", "less"), ("not", "only"), ("no", "doubt"), ("no", "matter")})
NEGATING_VERBS = frozenset(
    {"stop", "stops", "stopped", "cease", "ceases", "ceased", "little"}
)  # "do little to"
NEGATED_COMPLEMENT = frozenset({"being", "to"})


# -- direction words ----------------------------------------------------------------------------


@functools.cache
def _lexicon() -> dict[str, float]:
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    lex: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].isalpha():
            lex[parts[0]] = float(parts[1])
    lex.update(_DIRECTION)
    return lex


def lexicon_size() -> int:
    """How many direction words the verifier knows (``essaybot doctor`` checks that they load)."""
    return len(_lexicon())


def valence(w: Words, i: int) -> float:
    """Direction of word ``i`` (VADER scale), flipped when a negator stands just before it."""
    lex = _lexicon()
    # Names carry no direction: "United" in "United States" is not a stance.
    name = i > 0 and w.surface[i][:1].isupper()
    v = 0.0 if name or w.lower[i] in TOPIC_WORDS else lex.get(w.lower[i], 0.0)
    if i + 1 < len(w.lower):
        v = _PHRASES.get((w.lower[i], w.lower[i + 1]), v)
    if w.lower[i] in ASSERTIVE or w.lower[i] in NEGATORS:
        v = 0.0  # a negator is read as negation, not as a direction
    if v and any(x in NEGATORS or x in SOFT_NEGATORS for x in w.lower[max(0, i - 3) : i]):
        v = -v
    return v


NEAR_ANCHOR = 4  # words from a shared word within which a direction word is taken to qualify it


def directional(w: Words, anchors: set[str], shared: set[str] | None = None) -> list[tuple[str, float]]:
    """Direction words (not ``shared`` ones, by default the anchors) standing near an anchor word."""
    shared = anchors if shared is None else shared
    near = {
        j
        for i, stem in enumerate(w.stems)
        if stem in anchors
        for j in range(max(0, i - NEAR_ANCHOR), min(len(w.stems), i + NEAR_ANCHOR + 1))
    }
    out = []
    for i in sorted(near):
        if w.stems[i] in shared:
            continue
        v = valence(w, i)
        if abs(v) >= MIN_VALENCE:
            out.append((w.surface[i], v))
    return out


def _pull(w: Words, anchors: set[str]) -> tuple[float, str]:
    found = directional(w, anchors)
    total = sum(v for _, v in found)
    word = max(found, key=lambda t: t[1] * (1 if total > 0 else -1))[0] if found else ""
    return total, word


def direction_gap(claim: Words, passage: Words) -> float:
    """How strongly the words near the shared ones pull apart: 0 when they agree."""
    anchors = claim.content & passage.content
    c, _ = _pull(claim, anchors)
    p, _ = _pull(passage, anchors)
    return min(abs(c), abs(p)) if c and p and (c > 0) != (p > 0) else 0.0


def overlap(claim: Words, passage: Words) -> float:
    """Share of the claim's content words that the passage has (0..1)."""
    mine = claim.content
    return len(mine & passage.content) / len(mine) if mine else 0.0


# -- roles --------------------------------------------------------------------------------------


def names(w: Words) -> list[tuple[int, str]]:
    """Capitalised words, as (position, stem): the actors of a sentence."""
    return [
        (i, w.stems[i])
        for i in range(len(w.surface))
        if w.surface[i][:1].isupper() and w.lower[i] not in STOPWORDS
    ]


# Shared words that relate two actors without one doing something to the other.
_PREPOSITIONS = wordlist("against among amongst within without toward towards across upon via beyond")


def role_cue(claim: Words, passage: Words) -> Cue | None:
    """Two named actors around a shared verb, in swapped order: "A attacked B" against "B attacked A"."""
    if "by" in claim.lower or "by" in passage.lower:
        return None  # a passive voice reverses the order without reversing the roles
    cn, pn = names(claim), names(passage)
    shared_names = {s for _, s in cn} & {s for _, s in pn}
    verbs = (claim.content & passage.content) - shared_names - _PREPOSITIONS
    if len(shared_names) < 2 or not verbs:
        return None
    # In the claim's order, not the set's: a set of strings iterates in a different order in every
    # process, and the pair named in the explanation must not change from run to run.
    first_in_claim = {s: min(i for i, t in cn if t == s) for s in shared_names}
    ordered = sorted(shared_names, key=first_in_claim.__getitem__)
    for x, a in enumerate(ordered):
        for b in ordered[x + 1 :]:
            ca, cb = first_in_claim[a], first_in_claim[b]
            pa, pb = min(i for i, s in pn if s == a), min(i for i, s in pn if s == b)
            if (ca < cb) == (pa < pb):
                continue
            between_c = set(claim.stems[min(ca, cb) + 1 : max(ca, cb)]) & verbs
            between_p = set(passage.stems[min(pa, pb) + 1 : max(pa, pb)]) & verbs
            if between_c & between_p:
                first, second = (passage.surface[pa], passage.surface[pb])
                if pb < pa:
                    first, second = second, first
                return Cue("role_swap", f"says {first} did it to {second}, not the other way round")
    return None
