"""Exact and near-exact phrase matching on normalised text, mapped back to original offsets.

Quotes, dashes, case and whitespace are folded before comparing, so a quote typed with straight
apostrophes still matches the essay's curly ones; every match is reported in original body offsets.

Exact lookup goes through a SQLite FTS5 table with the trigram tokenizer over each span's normalised
text. A trigram phrase query matches every text that contains the needle as a substring (and, because
the tokenizer folds case, a few more), so the candidates it returns are a superset of the true matches;
the word-boundary regex then confirms them. Lookup therefore stays exact while its cost follows the
number of candidates, not the size of the library. The table lives in a file of the index generation
(it switches atomically with ``CURRENT``, whatever database holds the corpus), or in memory for tests
and for a library built without one.

A phrase query reads the posting list of every trigram of the needle, and common trigrams ("the",
"ing") are in nearly every paragraph, so its cost grows with the library. Beside the table, each file
keeps every trigram's document count (``trigram_docs``). The lookup then asks only for the spans that
hold the needle's rarest trigrams: every span holding the needle holds them too, so the candidates
stay a superset, and the regex confirms them as before. Where even the rarest trigrams are so common
that confirming their spans would cost more than the phrase query, the phrase query runs instead.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from rapidfuzz import fuzz

from bot.textnorm import normalize, normalize_with_map

# A near quote must align this well (rapidfuzz partial ratio, 0-100) with a stretch of the essay...
NEAR_MIN_ALIGNMENT = 84.0
# ...and be long enough that the alignment means something.
NEAR_MIN_WORDS = 4
EXACT_MIN_CHARS = 12
# Normalised spans kept in memory between questions (a span is normalised again when evicted).
_NORMALISED_CACHE = 4096
# The normalised text is stored as well as indexed: candidates are compared without normalising their
# paragraphs again (only a match's offsets need the map back to the original text).
_SCHEMA = "CREATE VIRTUAL TABLE spans USING fts5(norm, tokenize='trigram')"
_DOCS_SCHEMA = "CREATE TABLE trigram_docs(term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID"
# How many of the needle's rarest trigrams a lookup asks for. Fewer leave more candidates to confirm,
# more read more posting lists; 6 was fastest at 1,000 and 10,000 essays (bench/phrase_lookup.py).
_PROBE_TRIGRAMS = 6
# Confirming one candidate (reading its text, running the regex) costs about as much as the phrase
# query decoding this many postings (measured at 10,000 essays: 11 us against 4.8 ns).
_CANDIDATE_COST = 2000
_MIN_CAP = 64  # in a small library confirming a few spans costs next to nothing
_TERMS_PER_QUERY = 500


@dataclass(frozen=True)
class Span:
    """A stretch of text: a paragraph whose normalised text we search."""

    key: int  # caller's identifier for the span (a paragraph row)
    start: int  # body offset where ``text`` starts
    text: str


@dataclass(frozen=True)
class PhraseMatch:
    """Where the query's words stand in a span, in body offsets, and how well they align (0-100)."""

    key: int
    start: int
    end: int
    score: float
    exact: bool


class Occurrences(NamedTuple):
    """Every verbatim occurrence of a query in one span, mapped to body offsets only when asked.

    Mapping normalised offsets back to the original text means normalising the span again, the
    costliest step of a lookup. A phrase common to thousands of paragraphs ("the working class")
    needs it only for the few whose passages can be answers, so retrieval asks for those alone.
    (A named tuple: a common phrase makes one per paragraph, thousands a question.)
    """

    key: int
    spans: tuple[tuple[int, int], ...]  # each occurrence's normalised offsets, in text order
    table: PhraseIndex  # the table that found them, which maps them to body offsets...
    table_key: int  # ...under its own key for the span (a segment numbers its spans apart)

    def matches(self) -> list[PhraseMatch]:
        """The occurrences as matches in body offsets, in text order."""
        locate = self.table.body_offsets
        return [
            PhraseMatch(self.key, *locate(self.table_key, start, end), 100.0, True)
            for start, end in self.spans
        ]


@functools.lru_cache(maxsize=256)
def _needle(query: str) -> str:
    """The query as phrase matching compares it (exact and near share one normalisation)."""
    return normalize(query).strip(" \"'.,;:!?")


def write_phrase_table(connection: sqlite3.Connection, spans: Iterable[tuple[int, str]]) -> None:
    """Fill a new FTS5 trigram table with ``(key, original text)`` pairs (stored normalised)."""
    connection.execute(_SCHEMA)
    connection.executemany(
        "INSERT INTO spans(rowid, norm) VALUES (?, ?)", ((key, normalize(text)) for key, text in spans)
    )
    count_trigrams(connection)
    connection.commit()


def count_trigrams(connection: sqlite3.Connection) -> None:
    """Store how many spans hold each trigram (``trigram_docs``), for lookups by the rarest ones."""
    # Counted by FTS5 itself, so the terms are folded exactly as its queries fold them.
    connection.execute("CREATE VIRTUAL TABLE temp.span_terms USING fts5vocab(main, spans, 'row')")
    connection.execute(_DOCS_SCHEMA)
    connection.execute("INSERT INTO trigram_docs SELECT term, doc FROM temp.span_terms")
    connection.execute("DROP TABLE temp.span_terms")


def write_phrase_file(path: Path, spans: Iterable[tuple[int, str]]) -> None:
    """Write the phrase table of an index generation to ``path`` (which must not exist yet)."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=OFF")  # written once, aside, then published whole
        write_phrase_table(connection, spans)
        connection.execute("VACUUM")
    finally:
        connection.close()


def open_phrase_file(path: Path) -> sqlite3.Connection:
    """Open a generation's phrase table read-only; ``sqlite3.DatabaseError`` when it is unusable."""
    if not path.is_file():
        raise sqlite3.DatabaseError(f"no phrase table at {path.name}")
    # immutable: a published generation never changes, so SQLite takes no locks on it.
    connection = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
    )
    try:
        connection.execute("SELECT rowid FROM spans WHERE spans MATCH '\"abc\"' LIMIT 1").fetchall()
    except sqlite3.DatabaseError:
        connection.close()
        raise
    return connection


class PhraseIndex:
    """Finds a query's words in a set of spans: exactly through FTS5, approximately with rapidfuzz."""

    def __init__(self, connection: sqlite3.Connection, span_of: Callable[[int], Span]):
        self._db = connection
        self._db_lock = threading.Lock()  # one connection, shared by the answering threads
        self._span_of = span_of
        # Files written before the counts existed keep the phrase query.
        self._counted = (
            connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'trigram_docs'").fetchone()
            is not None
        )
        self._normalised = functools.lru_cache(maxsize=_NORMALISED_CACHE)(self._normalise)

    @classmethod
    def in_memory(cls, spans: Sequence[Span]) -> PhraseIndex:
        """An index over ``spans`` held in memory (tests, and libraries built without a phrase file)."""
        by_key = {span.key: span for span in spans}
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        write_phrase_table(connection, ((span.key, span.text) for span in spans))
        return cls(connection, by_key.__getitem__)

    def _normalise(self, key: int) -> tuple[Span, str, list[int]]:
        span = self._span_of(key)
        norm, mapping = normalize_with_map(span.text)
        return span, norm, mapping

    def body_offsets(self, key: int, n_start: int, n_end: int) -> tuple[int, int]:
        """Body offsets of a stretch of span ``key``'s normalised text."""
        span, _, mapping = self._normalised(key)
        text = span.text
        end = mapping[n_end - 1] + 1
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1  # keep a decomposed accent with its letter
        return span.start + mapping[n_start], span.start + end

    def candidates(self, needle: str) -> list[tuple[int, str]]:
        """(key, normalised text) of the spans that may contain ``needle`` (a superset), by key."""
        match = self._probed(needle) or _quoted(needle)
        with self._db_lock:
            rows = self._db.execute(
                "SELECT rowid, norm FROM spans WHERE spans MATCH ? ORDER BY rowid", (match,)
            ).fetchall()
        return [(int(key), str(norm)) for key, norm in rows]

    def _probed(self, needle: str) -> str | None:
        """The query for the needle's rarest trigrams, or None where the phrase query costs less."""
        probe = self._probe(needle)
        if probe is None:
            return None
        match, cap = probe
        with self._db_lock:
            # Counting is cheap (no text is read); the texts are read only if they are few enough.
            held = self._db.execute("SELECT rowid FROM spans WHERE spans MATCH ? LIMIT ?", (match, cap + 1))
            return match if len(held.fetchall()) <= cap else None

    def _probe(self, needle: str) -> tuple[str, int] | None:
        """The FTS5 query for the needle's rarest trigrams, and how many spans it may return to pay."""
        trigrams = sorted({needle[i : i + 3] for i in range(len(needle) - 2)})
        if not self._counted or len(trigrams) <= _PROBE_TRIGRAMS:
            return None  # a short phrase query reads as little
        counted: dict[str, int] = {}
        with self._db_lock:
            # In slices: SQLite builds older than 3.32 take at most 999 parameters a statement.
            for lo in range(0, len(trigrams), _TERMS_PER_QUERY):
                part = trigrams[lo : lo + _TERMS_PER_QUERY]
                marks = ",".join("?" * len(part))
                query = f"SELECT term, docs FROM trigram_docs WHERE term IN ({marks})"
                counted.update(self._db.execute(query, part).fetchall())
        # A trigram missing from the counts is in no span (or folds differently here than in FTS5):
        # either way it is the best probe, and FTS5 itself decides whether it matches.
        docs = {t: int(counted.get(t, 0)) for t in trigrams}
        probes = sorted(trigrams, key=lambda t: (docs[t], t))[:_PROBE_TRIGRAMS]
        # The phrase query decodes every trigram's postings; past this many spans to confirm, it is cheaper.
        cap = max(_MIN_CAP, sum(docs.values()) // _CANDIDATE_COST)
        return " AND ".join(_quoted(t) for t in probes), cap

    def _texts(self, keys: list[int]) -> dict[int, str]:
        with self._db_lock:
            rows = self._db.execute(
                f"SELECT rowid, norm FROM spans WHERE rowid IN ({','.join('?' * len(keys))})", keys
            ).fetchall()
        return {int(key): str(norm) for key, norm in rows}

    def exact(self, query: str, allowed: Callable[[int], bool] | None = None) -> list[PhraseMatch]:
        """Every occurrence of the normalised query, on word boundaries, in the (allowed) spans."""
        return [m for found in self.occurrences(query, allowed) for m in found.matches()]

    def occurrences(self, query: str, allowed: Callable[[int], bool] | None = None) -> list[Occurrences]:
        """The (allowed) spans holding the query on word boundaries, by key, not yet mapped to the body."""
        needle = _needle(query)
        if len(needle) < EXACT_MIN_CHARS:
            return []
        found: list[Occurrences] = []
        for key, norm in self.candidates(needle):
            if allowed is not None and not allowed(key):
                continue
            spans = _whole_words(norm, needle)
            if spans:
                found.append(Occurrences(key, spans, self, key))
        return found

    def near(self, query: str, keys: Iterable[int]) -> list[PhraseMatch]:
        """Best approximate alignment of the query inside each of ``keys`` that aligns well enough."""
        needle = _needle(query)
        if len(needle.split()) < NEAR_MIN_WORDS:
            return []
        wanted = list(dict.fromkeys(keys))
        texts = self._texts(wanted) if wanted else {}
        found: list[PhraseMatch] = []
        for key in wanted:
            norm = texts.get(key, "")
            if not norm:
                continue
            al = fuzz.partial_ratio_alignment(needle, norm, score_cutoff=NEAR_MIN_ALIGNMENT)
            if al is None:
                continue
            n_start, n_end = _widen_to_words(norm, al.dest_start, al.dest_end)
            start, end = self.body_offsets(key, n_start, n_end)
            found.append(PhraseMatch(key, start, end, float(al.score), False))
        found.sort(key=lambda m: -m.score)
        return found

    def close(self) -> None:
        """Release the SQLite connection."""
        with self._db_lock:
            self._db.close()


class PhraseMatcher(PhraseIndex):
    """A :class:`PhraseIndex` over a fixed list of spans held in memory."""

    def __init__(self, spans: Sequence[Span]):
        memory = PhraseIndex.in_memory(spans)
        super().__init__(memory._db, memory._span_of)


def _whole_words(text: str, needle: str) -> tuple[tuple[int, int], ...]:
    r"""Where ``needle`` occurs in ``text`` neither starting nor ending inside a word, in text order.

    What ``re.finditer(r"(?<!\w)needle(?!\w)")`` finds (``\w`` is ``isalnum()`` or ``_``), by
    ``str.find``: a pattern opening with a lookbehind is matched position by position, ten times
    slower, and a common phrase has thousands of candidate paragraphs to confirm.
    """
    spans = []
    at = text.find(needle)
    while at >= 0:
        end = at + len(needle)
        if not (at and _word(text[at - 1])) and not (end < len(text) and _word(text[end])):
            spans.append((at, end))
            at = text.find(needle, end)
        else:
            at = text.find(needle, at + 1)
    return tuple(spans)


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _quoted(text: str) -> str:
    """``text`` as one FTS5 string (never read as query syntax)."""
    return '"' + text.replace('"', '""') + '"'


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow [start, end) so it neither starts nor ends inside a word."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    return start, max(end, start + 1)
