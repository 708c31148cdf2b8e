"""The vocabulary of the speaker detector: names, attribution verbs and the cues of reported views.

Kept apart from the detector's logic (``quotes.py``) so the patterns can be read, and extended, as one
list. Every pattern runs on a masked copy of a block (quotation contents blanked out).
"""

from __future__ import annotations

import re


def _alt(words: str) -> str:
    """A regex alternation of space-separated words; "_" stands for a space inside a phrase."""
    return "(?:" + "|".join(w.replace("_", r"\s+") for w in words.split()) + ")"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĘĚĞŁŃŇŒŘŚŞŠŤŪŮŹŻŽА-ЯЁІЇЄҐ"
_TOK = rf"(?:(?:Jr|Sr|St|Dr)\.|[{_UP}]\.|[{_UP}][\w’'\-]*)"  # no trailing full stop: "Shalom. In" is two
# Up to two particles between tokens: "Carl von Clausewitz", "Ursula von der Leyen".
_NAME = rf"{_TOK}(?:\s+(?:{_alt('von van der den de du da di del la le al bin ibn')}\s+){{0,2}}{_TOK}){{0,4}}"
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
_ACCORDING = re.compile(rf"\b(?:[Aa]ccording to|[Ii]n the words of|[Tt]o quote)\s+(?P<n>{_NAMES}),?\s*$")
# A cue whose verb is followed by where or to whom it was said: "as Scholz put it in parliament, “",
# "Sánchez said at a press conference in Madrid that “", "Starmer told parliament that “". Only a comma,
# colon or "that" may end it, so "said at the summit about the “…”" introduces nothing.
_PREP = _alt("in at on to before during after from outside inside")
_BEFORE_PLACE = re.compile(
    rf"\b(?:{_VERB}(?:\s+it)?\s+{_PREP}\s+[^,;:“”\"]{{1,40}}?(?P<c>\s*[,:]\s*|\s+that\s+)"
    rf"|{_alt('told tells warned warns reminded assured')}\s+(?!that\b)[^,;:“”\"]{{1,30}}?\s+that\s+)$"
)
# A group named only by a collective noun: "the miners' union", "the union's leaders", "the federation".
# It needs "the" (not "our": the author's own side) and a collective head; modifiers are content words
# only, so "the strike and the union" yields "the union".
_COLLECTIVE = _alt(
    "unions? federations? confederations? committees? councils? congress caucus assembly movement coalition "
    "alliance association league party executive leadership government cabinet administration ministry "
    "commission delegation campaign collective organi[sz]ation bloc faction secretariat presidium politburo "
    "junta regime syndicate"
)
_MEMBERS = _alt(
    "leaders leadership officials spokesperson spokesman spokeswoman members delegates representatives "
    "negotiators executive"
)
_FUNCTION = _alt("the a an and or of that which who whom whose this these those its their our his her")
_GROUP = (
    rf"(?:[Tt]he)\s+(?:(?!{_FUNCTION}\b)[\w’'-]+\s+){{0,3}}?(?i:{_COLLECTIVE})"
    rf"(?:[’']s\s+{_MEMBERS}|\s+{_MEMBERS})?(?![\w’'])"
)
# A label given mid-sentence by a named person: "which Biden called “a just war”", "what Orbán described
# as “…”". The relative pronoun makes even a short quotation the person's words.
_CALL_REL = re.compile(
    rf"\b(?:which|what|whom)\s+(?P<n>{_NAMES})\s+(?:(?:has|had|once|later|\w+ly)\s+)?"
    rf"(?:call(?:s|ed)?|describe[sd]?\s+as|dismisse[sd]\s+as|hail(?:s|ed)\s+as|brand(?:s|ed)|"
    rf"label(?:s|l?ed))\s+(?:it\s+|them\s+)?(?:as\s+)?$"
)
_FUZZY = re.compile(rf"(?P<n>{_NAMES})\s+(?P<w>[a-z]{{3,12}}):\s*$")  # a misspelt verb: "Rukh argies: “"
_CALL = re.compile(rf"(?P<n>{_NAMES})\s+(?:to\s+)?call(?:s|ed)?\s+[^“”\"]{{0,40}}$")
# Speaker after: "” said X", "”, X argued", "” the organiser X told", "” as X put it in 1939", "” – X".
_AFTER = re.compile(
    rf"^\s*,?\s*(?:{_VERB}\s+(?P<a>{_NAMES}|{_P})|(?:the(?:\s+[a-z][\w’-]*){{1,3}}\s+)?(?P<b>{_NAMES}|{_P})\s+"
    rf"(?:\w+ly\s+)?{_VERB}|as\s+(?P<c>{_NAMES})\s+(?:\w+ly\s+)?{_VERB}|[—–-]+\s*(?P<d>{_NAMES})\s*(?:[,.(]|$)"
    # "”, in Ursula von der Leyen’s words" after a quotation set mid-sentence.
    rf"|in\s+(?P<e>{_NAMES})[’']s?\s+(?:own\s+)?words\b)"
)
# A group speaking after its words: "”, the farmers’ federation said", "” said the rail union".
_AFTER_GROUP = re.compile(rf"^\s*,?\s*(?:(?P<g>{_GROUP})\s+(?:\w+ly\s+)?{_VERB}|{_VERB}\s+(?P<h>{_GROUP}))")
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
