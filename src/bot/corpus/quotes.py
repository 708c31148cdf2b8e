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


def _alt(words: str) -> str:
    """A regex alternation of space-separated words; "_" stands for a space inside a phrase."""
    return "(?:" + "|".join(w.replace("_", r"\s+") for w in words.split()) + ")"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĘĚĞŁŃŇŒŘŚŞŠŤŪŮŹŻŽА-ЯЁІЇЄҐ"
_TOK = rf"(?:(?:Jr|Sr|St|Dr)\.|[{_UP}]\.|[{_UP}][\w’'\-]*)"  # no trailing full stop: "Shalom. In" is two
_NAME = rf"{_TOK}(?:\s+(?:{_alt('von van der den de du da di del la le al bin ibn')}\s+)?{_TOK}){{0,4}}"
_NAMES = rf"{_NAME}(?:(?:\s*,\s*{_NAME})*\s*,?\s+(?:and|&)\s+{_NAME})?"
# Bare "states" and "notes" are too often nouns ("Russia or China states that exploit workers").
_VERB_WORDS = _words(
    "said says say argued argues argue wrote writes noted observed observes declared declares remarked "
    "warned warns insisted insists claimed stated explained explains asked added replied concluded recalled "
    "proclaimed announced suggested contended maintained asserted commented admitted stressed quipped "
    "predicted put told"
)
_VERB = _alt("told_reporters told_us tells_us pointed_out claims " + " ".join(sorted(_VERB_WORDS))) + r"\b"
_AUX_TAIL = re.compile(
    rf"(?:\s+(?:\w+ly|{_alt('once later also then has had have would again was is were')}))+\s*$"
)
_STOP = _words(
    "The A An As In On At For And But So Yet Then This That These Those It Its His Her Their Our My Since "
    "When While If After Before According Of To With Some Many Most Others Critics Both All Every Even Only "
    "Also However Indeed Speaking Asked Writing Once Here There What Why How Last Next Today "
    "I We You He She They"
)
_TITLES = _words(
    "Secretary General President Prime Minister Chancellor Senator Governor Chairman Chairwoman Chair Mayor "
    "Ambassador Commissioner Director Leader Comrade Professor Prof. Premier Foreign Defence Defense Vice "
    "Deputy Chief Editor Judge Councillor MP Mr Mr. Mrs Mrs. Ms Ms. Historian"
)
_FIRST_PERSON = {"i", "we", "you", "us", "one", "our", "my"}
_P = "he|she|they"

# Speaker before the quotation: "As X said, “", "X wrote that “", "X argies: “", "according to X, “".
_BEFORE = re.compile(
    # "which they stated is, “…”": a copula may stand between the verb and the words.
    rf"\b{_VERB}(?:\s+it)?(?:\s+(?:is|was|are|were))?(?:\s+\w+ly)?(?:\s+in\s+\d{{4}})?"
    r"(?P<c>\s*[,:]\s*(?:to\s+)?|\s+that\s+|\s+)$"
)
_ACCORDING = re.compile(rf"\b(?:[Aa]ccording to|[Ii]n the words of)\s+(?P<n>{_NAMES}),?\s*$")
_FUZZY = re.compile(rf"(?P<n>{_NAMES})\s+(?P<w>[a-z]{{3,12}}):\s*$")  # a misspelt verb: "Rukh argies: “"
_CALL = re.compile(rf"(?P<n>{_NAMES})\s+(?:to\s+)?call(?:s|ed)?\s+[^“”\"]{{0,40}}$")
# Speaker after: "” said X", "”, X argued", "” the organiser X told", "” as X put it in 1939", "” – X".
_AFTER = re.compile(
    rf"^\s*,?\s*(?:{_VERB}\s+(?P<a>{_NAMES}|{_P})|(?:the(?:\s+[a-z][\w’-]*){{1,3}}\s+)?(?P<b>{_NAMES}|{_P})\s+"
    rf"(?:\w+ly\s+)?{_VERB}|as\s+(?P<c>{_NAMES})\s+(?:\w+ly\s+)?{_VERB}|[—–-]+\s*(?P<d>{_NAMES})\s*(?:[,.(]|$))"
)
# A whole sentence carried by a parenthetical cue: "There is, said X recalling that event, no single …".
_INVERSION = re.compile(
    rf"^[^,“”\"]{{2,80}}?,\s+(?:{_VERB}\s+(?P<a>{_NAMES})[^,]{{0,60}}|(?P<b>{_NAMES})\s+(?:\w+ly\s+)?{_VERB})"
    r"(?:,\s+\S|\s*[.!?]?\s*$)"
)
_AS_UNQUOTED = re.compile(
    rf"\b(?:[Aa]s\s+(?P<a>{_NAMES})\s+(?:\w+ly\s+)?{_VERB}(?:\s+it)?|[Aa]ccording\s+to\s+(?P<b>{_NAMES})"
    rf"|[Ii]n\s+the\s+words\s+of\s+(?P<c>{_NAMES})),\s+(?=[^\s“\"‘])"
)
_THAT_UNQUOTED = re.compile(rf"\b{_VERB}\s+that\s+(?=[^\s“\"‘])")
_BY = re.compile(rf"\bby\s+(?P<n>{_NAMES})")
# "the point made by X and Y": X and Y are who a following "they said" refers to.
_MADE_BY = re.compile(
    rf"\b{_alt('made put_forward raised argued written stated proposed suggested advanced')}"
    rf"\s+by\s+(?P<n>{_NAMES})"
)
_ISSUED = re.compile(
    rf"\b{_alt('issued published released adopted')}\s+(?:a|an|the)\s+{_alt('statement declaration letter')}"
)

# Reported views: cues that introduce a view the author does not hold.
_HOLDERS = (
    "some critics opponents pacifists sceptics skeptics apologists campists cynics detractors naysayers"
)
_SAY = "argue argued claim claimed insist insisted say said suggest suggested contend maintain assert tell_us"
_RV_STRONG = re.compile(
    rf"\b(?P<g>{_alt(_HOLDERS)}(?:\s+[a-z][\w-]*){{0,5}}?)\s+"
    rf"(?:{_alt('have would will often still even always')}\s+)*(?:tr(?:y|ied)\s+to\s+)?{_alt(_SAY)}"
    r"\s+(?:that\s+|(?=[“\"]))"
    rf"|\bit\s+is\s+(?:{_alt('often sometimes commonly widely frequently')}\s+)?"
    rf"{_alt('said argued claimed asserted assumed believed suggested')}\s+that\s+"
    rf"|\bwe\s+are\s+(?:{_alt('often constantly repeatedly always')}\s+)?told\s+that\s+"
    rf"|\bthe\s+{_alt('myth lie fiction fantasy illusion delusion fallacy pretence canard')}\s+that\s+"
    rf"|\bthey\s+{_alt('say claim tell_us insist argue')}\s+that\s+"
    r"|\b(?:once|if)\s+you\s+(?:can\s+|could\s+)?(?:accept|believe|buy)\s+that\s+(?=[“\"])"
    r"|\b(?P<cling>cling(?:s|ing)?\s+to)\b[^.;]*?(?:arguing|insisting|claiming|believing)\s+that\s+"
    r"|\b(?P<like>(?:like|love)s?\s+to\s+(?:claim|think|believe|pretend|say))\s+that\s+"
    # A concession made only to be refuted: "Even if we accept the logic that X, …".
    r"|\beven\s+if\s+(?:we|one|you)\s+(?:accepts?|grants?|concedes?|assumes?)\s+(?:the\s+)?(?:[^\s,]+\s+){0,6}?"
    rf"{_alt('logic argument claim idea premise view notion')}\s+that\s+"
    # Talking points repeated by others: "… is parroted by certain leftists who oppose …".
    r"|\b(?:parroted|echoed|regurgitated)\s+by\s+(?P<h>[^,.;]{3,60}?)\s+who\s+",
    re.I,
)
# Neutral cues: a reported view only when the sentence is dismissive or the next sentence rebuts it.
_RV_WEAK = re.compile(
    rf"\b(?:(?P<p>(?:the\s+)?[\w-]+(?:\s+[\w-]+)?)[’']s|the|this|that)\s+"
    rf"{_alt('claim argument notion idea assertion belief view')}\s+that\s+"
    r"|\b(?P<m>(?:many|others|most)\b(?:\s+[a-z][\w-]*){0,4}?)\s+(?:argue|claim|insist|say|believe)\s+that\s+"
    r"|(?P<part>,\s*(?:arguing|claiming|insisting|asserting)\s+that\s+)",
    re.I,
)
_AGREE = re.compile(
    r"\b(?:rightly|correctly|(?:they|he|she)\s+(?:are|is|were|was)\s+right|(?:I|we)\s+agree)\b", re.I
)
_AGREE_NEXT = re.compile(
    r"\s*(?:(?:They|He|She)\s+(?:are|is|were|was)\s+(?:right|correct)|I agree|Quite right|Indeed)\b"
)
_DISMISS = re.compile(
    r"\b(?:false|wrong|nonsense|absurd|lies?|myths?|mistaken|untrue|naive|misguided|disgraced?|fails?|ignores?"
    r"|illusions?|reject|dismiss|flawed|cling[a-z]*|stubbornly|nothing\s+more\s+than|conspiracy)\b",
    re.I,
)
_REBUT = re.compile(
    r"\s*(?:But|Yet|However|In fact|In reality|Actually|Of course, such|Such claims|Tell that|Nothing could|"
    r"(?:This|That|It)\s+(?:is|was|has)\s+(?:never|not|simply|wrong|false|an?\s+(?:myth|lie|illusion|fantasy))"
    r"|The (?:evidence|truth|reality|facts?))\b"
)
# The subject of a sentence, up to its first verb, for the holder of a participial view ("X …, arguing that").
_LEAD = re.compile(
    rf"(?:{_alt('As_we_know Of_course In_fact Indeed However Yet But And So Now Meanwhile')}\b\s*,?\s*)*"
    rf"(?P<np>.{{1,80}}?)(?:,\s*however,)?\s+(?:{_alt('still often also now have has had would')}\s+)*"
    rf"(?:{_alt('clings? supports? opposes? argues? claims? insists? believes? says? wants? likes? loves?')}"
    rf"|{_alt('has have is are was were laid lay')})\b"
)
_CLAUSE_END = re.compile(r";|,\s+(?:but|yet|however)\b")
_WORK = "statement article essay piece interview text letter declaration translation"
_EDITORS = re.compile(
    rf"(?:The editors|Editors?[’']?s?[’']? note|This {_alt(_WORK)} "
    rf"(?:is|was|first|originally|appeared|has been)"
    rf"|A (?:joint )?{_alt('statement declaration letter resolution')} (?:by|from|of)"
    r"|(?:Originally )?published (?:in|by|on)|Translated (?:by|from))\b"
    rf"|[A-Z][\w’' ]{{0,40}}? {_alt('marks presents publishes republishes')}\b"
    rf".{{0,200}}?\b(?:this|the following) {_alt(_WORK)}"
)
_INTRO_VERBS = _alt(
    "argues writes explains examines looks_at reflects_on makes_the_case considers assesses analyses "
    "analyzes responds discusses outlines explores describes sets_out offers presents reports asks traces "
    "calls_for urges"
)
_BOUNDARY = re.compile(r"[.!?][\"”’)\]]*\s+(?=[\"“‘]|\(?[" + _UP + r"0-9])")
_ABBREV = _words("mr mrs ms dr prof st jr sr gen col rev hon vs etc no u.s")

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
    m = re.search(rf"(?:^|(?<=[^\w’']))({_NAMES})\s*$", t)
    # In "the report sent to Biden said" or "workers in Britain say" the name is not the subject.
    preps = (
        "to by for with from of at on in into about against across among under over after before like than"
    )
    addressee = m and re.search(rf"\b{_alt(preps)}\s*$", t[: m.start(1)], re.I)
    if m and not addressee and (name := _clean_name(m.group(1))):
        return "name", name
    return "none", None


def _resolve(kind: str, value: str | None, last: str | None) -> str | None:
    """A pronoun borrows the previous named speaker when number agrees; anything else stays as it is."""
    if kind != "pron" or last is None:
        return value if kind == "name" else None
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
        if m := _AFTER.match(right):
            raw = next(g for g in m.groups() if g)
            return (
                ("pron", raw, m.group(0)) if raw in _P.split("|") else ("name", _clean_name(raw), m.group(0))
            )
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
