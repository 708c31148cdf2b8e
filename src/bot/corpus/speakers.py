"""Who is speaking inside an essay: attributed quotations, reported views and editors' introductions.

A wrong attribution is the worst answer the bot can give, so every rule is conservative: a span gets a
named speaker only when an explicit cue (an attribution verb next to a proper name, "according to",
"as X put it", a colon introducing a block quote) ties the words to that name. Quotation marks alone
never name anyone; uncued quotations of four or more words become speaker-less quotes so that they are
at least not credited to the essay's author. Rules run on a "masked" copy of each block in which the
inside of every quotation is blanked out, so cue words inside a quotation never fire and sentence
splitting never breaks a multi-sentence quotation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from bot.corpus.models import Block, EssayMeta, QuoteSpan, SpeakerRole
from bot.corpus.speaker_patterns import (  # the detector's vocabulary
    _ABBREV,
    _ACCORDING,
    _AFTER,
    _AFTER_GROUP,
    _AGREE,
    _AGREE_NEXT,
    _AS_UNQUOTED,
    _AUX_TAIL,
    _BEFORE,
    _BEFORE_PLACE,
    _BOUNDARY,
    _BY,
    _CALL,
    _CALL_REL,
    _CLAUSE_END,
    _DISMISS,
    _EDITORS,
    _FIRST_PERSON,
    _FUZZY,
    _GROUP,
    _INTRO_VERBS,
    _INVERSION,
    _ISSUED,
    _LEAD,
    _MADE_BY,
    _NAMES,
    _P,
    _REBUT,
    _RV_STRONG,
    _RV_WEAK,
    _STOP,
    _THAT_UNQUOTED,
    _TITLES,
    _UP,
    _VERB,
    _VERB_WORDS,
    _alt,
)

Span = tuple[int, int]


def _clean_name(raw: str) -> str | None:
    """Drop sentence-initial words and titles: "its first Secretary General Lord Ismay" -> "Lord Ismay"."""
    toks = [t.rstrip(",") for t in raw.split()]
    while toks and toks[0] in _STOP:
        toks.pop(0)
    while len(toks) > 1 and toks[0] in _TITLES:
        toks.pop(0)
    # A possessive is not a speaker, and a lone capitalised plural ("Pacifists") is a group, not a name.
    if (
        not toks
        or toks[-1].endswith(("’s", "'s"))
        or (len(toks) == 1 and re.search(r"(ist|ian|er|ic|al)s$", toks[0]))
    ):
        return None
    return " ".join(toks)


def _subject(before: str) -> tuple[str, str | None]:
    """Who the words before an attribution verb name: ("name", X), ("pron", "he"), ("first"|"none", None)."""
    t = _AUX_TAIL.sub("", before)
    t = re.sub(r",\s*(?:the|a|an|who|then|its|his|her|their|writing|speaking)\b[^,]{0,60},\s*$", "", t)
    last = re.search(r"([\w’']+)\s*$", t)
    word = re.split(r"[’']", last.group(1).lower())[0] if last else ""  # "you've" -> "you"
    if word in _FIRST_PERSON:
        return "first", None
    if word in ("he", "she", "they", "it"):
        return "pron", word
    # An appositive name: "the chancellor, Olaf Scholz, told" is Scholz speaking.
    t = re.sub(rf"(,\s*{_NAMES}),\s*$", r"\1 ", t)
    m = re.search(rf"(?:^|(?<=[^\w’']))({_NAMES})\s*$", t)
    # In "the report sent to Biden said" or "workers in Britain say" the name is not the subject.
    preps = (
        "to by for with from of at on in into about against across among under over after before like than"
    )
    addressee = m and re.search(rf"\b{_alt(preps)}\s*$", t[: m.start(1)], re.I)
    if m and not addressee and (name := _clean_name(m.group(1))):
        return "name", name
    g = re.search(rf"(?:^|(?<=[^\w’']))({_GROUP})\s*$", t)
    if g and not re.search(rf"\b{_alt(preps)}\s*$", t[: g.start(1)], re.I):
        return "name", _group_name(g.group(1))
    return "none", None


def _group_name(raw: str) -> str:
    """A collective speaker as a phrase: "The miners' union" -> "the miners' union"."""
    return "the" + " ".join(raw.split())[3:]


def _resolve(kind: str, value: str | None, last: str | None) -> str | None:
    """A pronoun borrows the previous named speaker when number agrees; anything else stays as it is."""
    if kind != "pron" or last is None:
        return value if kind == "name" else None
    if last.startswith("the ") and value in ("he", "she"):
        return None  # a group ("the union") is an "it" or a "they", never a "he"
    return last if (value == "they") == (" and " in last or " & " in last) else None


def _quotes(s: str) -> list[Span]:
    """Top-level quotations in a block as (inner start, inner end); nested quotation marks stay inside."""
    out: list[Span] = []
    i, n = 0, len(s)
    while i < n:
        c, prev = s[i], s[i - 1] if i else " "
        if c == "“" or (c in '"‘' and not prev.isalnum() and i + 1 < n and not s[i + 1].isspace()):
            close, depth, j = {"“": "”", '"': '"', "‘": "’"}[c], 0, i + 1
            while j < n:
                if s[j] == c == "“":
                    depth += 1
                elif s[j] == close and (c != "‘" or j + 1 == n or not s[j + 1].isalpha()):  # not "workers’s"
                    if depth == 0:
                        break
                    depth -= 1
                elif s[j] == "“" and c == "‘":  # a double-quoted phrase inside single quotes
                    j = max(j, s.find("”", j))
                j += 1
            if j < n or i == 0:  # an unclosed quotation only counts when it opens the paragraph
                out.append((i + 1, min(j, n)))
                i = j
        i += 1
    return out


def _mask(s: str, quotes: Sequence[Span]) -> str:
    chars = list(s)
    for a, b in quotes:
        for k in range(a, b):
            if k != b - 1 or chars[k] not in ".!?":  # a final full stop still ends the sentence
                chars[k] = "x"
    return "".join(chars)


def _sentences(masked: str) -> list[Span]:
    out: list[Span] = []
    start = 0
    for m in _BOUNDARY.finditer(masked):
        w = re.search(r"([\w.]*)$", masked[start : m.start()])
        word = w.group(1).lower() if w else ""
        if word not in _ABBREV and not (len(word) == 1 and word.isalpha()):  # "Dr.", initials as in "E. P."
            out.append((start, m.start() + len(m.group().rstrip())))
            start = m.end()
    if masked[start:].strip():
        out.append((start, len(masked.rstrip())))
    return out


def _clause_end(masked: str, start: int, end: int) -> int:
    m = _CLAUSE_END.search(masked, start, end)
    e = m.start() if m else end
    while e > start and masked[e - 1] in " .!?,:":
        e -= 1
    return e


def _content(masked: str, quotes: Sequence[Span], start: int, end: int) -> list[Span]:
    """What a cue introduces: the quotations right after it ("that “a” and that “b”") or its clause."""
    chain: list[Span] = []
    pos = start
    for qs, qe in quotes:
        if qs - 1 < pos or qs > end:
            continue
        gap = masked[pos : qs - 1]
        if (chain and not re.fullmatch(r"[\s,]*(?:(?:and|or)\s+)?(?:that\s+)?", gap)) or (
            not chain and gap.strip()
        ):
            break
        chain.append((qs, qe))
        pos = qe + 1
    return chain or [(start, _clause_end(masked, start, end))]


def _is_title(s: str, qs: int, qe: int) -> bool:
    """Titles of works and slogans ("published “How X Can Help Y” by Z") are nobody's speech."""
    long_words = [w for w in s[qs:qe].split() if len(w) > 3]
    if len(long_words) >= 2 and sum(w[0].isupper() for w in long_words) >= 0.6 * len(long_words):
        return True
    cue = _alt(
        "published article book essay pamphlet titled entitled headline slogan banner film song poem ran"
    )
    return bool(
        re.search(rf"\b{cue}\W*$", s[max(0, qs - 40) : qs], re.I) or re.match(rf"\W*by\s+{_NAMES}", s[qe:])
    )


def _reported(sent: str, nxt: str) -> tuple[int, str | None, SpeakerRole] | None:
    """Where a reported view starts in a sentence, who holds it, and the role (a named holder is quoted)."""
    if _AGREE.search(sent) or _AGREE_NEXT.match(nxt):
        return None
    m = _RV_STRONG.search(sent)
    if m and m.group("g") and any(w[0].isupper() for w in m.group("g").split()[1:]):
        m = None  # "for some time Smith argued": a name is speaking, not "some"
    m = m or _RV_WEAK.search(sent)
    if m is None:
        return None
    groups = m.groupdict()
    holder = groups.get("g") or groups.get("p") or groups.get("m") or groups.get("h")
    if any(groups.get(k) for k in ("part", "cling", "like")):
        lead = _LEAD.match(sent)
        holder = lead.group("np").strip(" ,") if lead else ""
        if not holder or holder.split()[0].lower() in _FIRST_PERSON:
            return None  # the author's own argument
        if re.fullmatch(_NAMES, holder) and (name := _clean_name(holder)):
            return m.end(), name, "quoted"  # "Putin …, asserting that …" is his claim, by name
    if m.re is _RV_WEAK and not (_DISMISS.search(sent) or _REBUT.match(nxt)):
        return None
    return m.end(), holder[0].lower() + holder[1:] if holder else None, "reported view"


def _intro_cue(prev: str, last: str | None) -> tuple[bool, str | None]:
    """Whether a paragraph ending in a colon introduces someone else's words, and whose.

    The colon sentence must have an attribution verb whose subject is not the author ("As I argued,
    there are three reasons:" introduces the author's own list).
    """
    pm = _mask(prev, _quotes(prev))
    sents = _sentences(pm)
    cue = pm[sents[-1][0] :] if sents else pm
    vm = re.search(rf"\b(?:{_VERB}|read|reads)", cue)
    kind, value = _subject(cue[: vm.start()]) if vm else ("none", None)
    if kind == "name" or (kind == "pron" and value != "it"):
        return True, _resolve(kind, value, last)
    cued = vm is not None and kind != "first"
    if (by := _BY.search(pm)) and (name := _clean_name(by.group("n"))):
        return cued, name  # "… “Title” by X and Y. In the article, it was suggested that:"
    lead = re.match(rf"\s*({_NAMES})\s", pm)
    return cued, _clean_name(lead.group(1)) if lead and _ISSUED.search(pm) else None


def _editors_intro(body: str, blocks: Sequence[Block], meta: EssayMeta) -> list[QuoteSpan]:
    """Standfirsts and editors' notes among the first blocks, before the author's own first paragraph."""
    speaker = f"{meta.publication} editors" if meta.publication else "the editors"
    names = [re.escape(n) for a in (*meta.authors, *meta.aliases) if a.strip() for n in (a, a.split()[-1])]
    by_author = re.compile(rf"(?:In (?:this|the following) \w+,\s*)?(?:{'|'.join(names)})\s+{_INTRO_VERBS}\b")
    pub = re.compile(rf"{re.escape(meta.publication)}\b") if meta.publication else None
    out: list[QuoteSpan] = []
    for b in blocks[:6]:
        text = body[b.start : b.end]
        if b.kind == "heading":
            continue
        if m := _EDITORS.match(text) or (names and by_author.match(text)) or (pub and pub.match(text)):
            out.append(QuoteSpan(b.start, b.end, speaker, "editors' introduction", cue=m.group(0)[:60]))
        elif len(text.split()) >= 15 and text.rstrip()[-1:] in '.!?”"':
            break  # the author's own text has begun
    return out


class _Scan:
    """Detection in one block: its text, the masked copy, its quotations and the spans found so far."""

    def __init__(self, s: str, base: int, last: str | None) -> None:
        self.s, self.base, self.last = s, base, last  # last: the latest named speaker, for "he said"
        self.quotes = _quotes(s)
        self.masked = _mask(s, self.quotes)
        self.found: list[QuoteSpan] = []
        self.taken: list[Span] = []

    def add(self, a: int, e: int, who: str | None, role: SpeakerRole, cue: str) -> None:
        if e > a:
            self.found.append(QuoteSpan(self.base + a, self.base + e, who, role, cue=cue[:60]))
            self.taken.append((a - 1, e + 1))
            self.last = who if who and role == "quoted" else self.last

    def quote_cue(self, a: int, e: int, qs: int, qe: int) -> tuple[str, str | None, str]:
        """The attribution cue of the quotation ``s[qs:qe]`` within the sentence ``[a, e)``."""
        left, right, nwords = self.masked[a : qs - 1], self.masked[qe + 1 : e], len(self.s[qs:qe].split())
        if m := _ACCORDING.search(left):
            return "name", _clean_name(m.group("n")), m.group(0)
        m = _FUZZY.search(left)
        if m and process.extractOne(m.group("w"), _VERB_WORDS, scorer=fuzz.ratio, score_cutoff=75):
            return "name", _clean_name(m.group("n")), m.group(0)
        # A short quotation needs a clear cue ("said: “Never.”"), or "declared a “new dawn”" would count.
        if (m := _BEFORE.search(left)) and (nwords > 3 or m.group("c").strip()):
            return (*_subject(left[: m.start()]), m.group(0))
        if m := _BEFORE_PLACE.search(left):
            return (*_subject(left[: m.start()]), m.group(0))
        if m := _CALL_REL.search(left):
            return "name", _clean_name(m.group("n")), m.group(0)
        if m := _AFTER.match(right):
            raw = next(g for g in m.groups() if g)
            return (
                ("pron", raw, m.group(0)) if raw in _P.split("|") else ("name", _clean_name(raw), m.group(0))
            )
        if m := _AFTER_GROUP.match(right):
            return "name", _group_name(m.group("g") or m.group("h")), m.group(0)
        if nwords > 3 and (m := _CALL.search(left)):
            return "name", _clean_name(m.group("n")), m.group(0)
        return "none", None, ""

    def sentence(self, a: int, e: int, nxt: str) -> None:
        sent, masked = self.masked[a:e], self.masked
        self.taken = []
        if rv := _reported(sent, nxt):
            for ca, ce in _content(masked, [q for q in self.quotes if a <= q[0] < e], a + rv[0], e):
                self.add(ca, ce, rv[1], rv[2], sent)
        if not self.taken and (inv := _INVERSION.match(sent)) and (who := _clean_name(inv["a"] or inv["b"])):
            self.add(a, e, who, "quoted", inv.group(0))
        for qs, qe in self.quotes:
            if not a <= qs < e or any(ta <= qs and qe <= tb for ta, tb in self.taken):
                continue
            kind, who, cue = self.quote_cue(a, e, qs, qe)
            if cue and kind != "first":
                self.add(qs, qe, _resolve(kind, who, self.last), "quoted", cue)
            elif not cue and len(self.s[qs:qe].split()) > 3 and not _is_title(self.s, qs, qe):
                self.add(qs, qe, None, "quoted", "uncued quotation")
        made = _MADE_BY.search(sent)
        if made and (agent := _clean_name(made.group("n"))):
            self.last = agent
        if self.taken:
            return
        if m := _AS_UNQUOTED.search(sent):
            who = _clean_name(next(g for g in m.groups() if g))
            self.add(a + m.end(), _clause_end(masked, a + m.end(), e), who, "quoted", m.group(0))
        elif (m := _THAT_UNQUOTED.search(sent)) and (subj := _subject(sent[: m.start()]))[0] in (
            "name",
            "pron",
        ):
            if who := _resolve(*subj, self.last):
                self.add(a + m.end(), _clause_end(masked, a + m.end(), e), who, "quoted", sent[: m.end()])
        elif (
            not made
            and (lead := re.match(rf"\s*(?:The\s+)?({_NAMES})\s+[a-z]", sent))
            and _clean_name(lead[1])
        ):
            # A named sentence subject lets a following "he said" resolve, unless another name competes.
            others = re.search(rf"\s[{_UP}]", sent[lead.end() :])
            self.last = None if others else _clean_name(lead[1])


def detect_quote_spans(body: str, blocks: Sequence[Block], meta: EssayMeta) -> list[QuoteSpan]:
    """Find quotations, reported views and editors' introductions in an essay (offsets into ``body``)."""
    spans = _editors_intro(body, blocks, meta)
    intro = {(sp.start, sp.end) for sp in spans}
    last: str | None = None
    for bi, b in enumerate(blocks):
        if (b.start, b.end) in intro:
            continue
        scan = _Scan(body[b.start : b.end], b.start, last)
        prev = body[blocks[bi - 1].start : blocks[bi - 1].end].rstrip() if bi else ""
        cued, who = _intro_cue(prev, last) if prev.endswith(":") else (False, None)
        if cued or (prev.endswith(":") and scan.s.lstrip()[:1] in '“"‘'):
            # A block quotation: the whole paragraph, or the quotation that fills it.
            q = scan.quotes
            whole = len(q) == 1 and q[0][0] <= 2 and q[0][1] >= len(scan.s.rstrip()) - 1
            qs, qe = q[0] if whole else (0, len(scan.s.rstrip()))
            scan.add(qs, qe, who, "quoted", "block quote: " + prev[-40:])
        else:
            sents = _sentences(scan.masked)
            # A rebuttal often opens the next paragraph ("Of course, such claims are …").
            following = body[blocks[bi + 1].start : blocks[bi + 1].end][:200] if bi + 1 < len(blocks) else ""
            for si, (a, e) in enumerate(sents):
                scan.sentence(a, e, scan.masked[slice(*sents[si + 1])] if si + 1 < len(sents) else following)
        spans.extend(scan.found)
        last = scan.last
    return sorted(spans, key=lambda sp: (sp.start, sp.end))


def speaker_for_span(spans: Sequence[QuoteSpan], start: int, end: int) -> QuoteSpan | None:
    """The span covering most of ``[start, end)`` if it covers at least half of it; the smallest on ties."""
    best: tuple[int, int] | None = None
    pick: QuoteSpan | None = None
    for sp in spans:
        cover = min(end, sp.end) - max(start, sp.start)
        if (
            cover > 0
            and 2 * cover >= max(1, end - start)
            and (best is None or (-cover, sp.end - sp.start) < best)
        ):
            best, pick = (-cover, sp.end - sp.start), sp
    return pick
