"""Separate an essay's own text from the web-page clutter around it.

Web dumps put one paragraph per line, so every non-empty line is a candidate block. Each line is either
kept (a heading, paragraph or list item) or removed with a reason that upload previews show. The rules
are generic patterns and layout heuristics (position at the top or end of the page, adjacency to a
credit line); none of them names a particular site or essay.

Acknowledgement lines ("Special thanks to X for …") are kept: they are the author's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.corpus.models import Block, BlockKind, CleanResult, EssayMeta, Removed
from bot.textnorm import normalize

_I = re.IGNORECASE
# Dashes and asterisks need a following space so "-5 degrees" or "*emphasis*" stay paragraphs.
_BULLET = re.compile(r"(?:[•●◦▪▫‣⁃∙■□➢➤►✓✔]|[-–—*+](?=\s))\s*")
_TERMINAL = re.compile(r"[.!?…][\"'”’»)\]]*$")
_NOT_HEADING_END = re.compile(r"[.,;:…][\"'”’»)\]]*$")
_ENDS = re.compile(r"[.!?:…][\"'”’»)\]]*$")  # a line ending like a sentence or a lead-in
_MID_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*\s+[\"“‘(]?[A-Z]")  # a sentence break inside the line
_URL = re.compile(r"<?(?:https?://|www\.)\S+>?", _I)
_READ_TIME = re.compile(r"\b\d+\s*(?:-\s*)?min(?:ute)?s?\.?\s*read", _I)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})",
    _I,
)
_DATELINE = re.compile(r"^(?:published|updated|last updated|first published|posted)\b", _I)
_BYLINE = re.compile(r"^(?:(?:a|an|the)\s+\w+\s+)?(?:by|written by|words by|posted by|story by)\s+\S", _I)
_NAV_LABELS = (
    "skip to content|skip to main content|skip to navigation|qr code|share|share this|share this article"
    "|share this post|menu|main menu|open menu|close menu|toggle navigation|navigation|search|home|blog"
    "|about|about us|contact|contact us|log in|login|sign in|sign up|register|print|print this page|email"
    "|tweet|facebook|twitter|x|linkedin|reddit|whatsapp|telegram|pocket|copy link|listen|listen to this"
    "|listen to this article|follow|comments|reply|back to top|next|previous|next article|previous article"
    "|related|related posts|related articles|read more|more|advertisement|loading|like this|like|save"
    "|bookmark|newer posts|older posts|view all|close"
)
_NAV = frozenset(_NAV_LABELS.split("|"))
_NAV_SEP = re.compile(r"\s*[|·•›»>]\s*")
_LINK_LABEL = re.compile(
    r"^(?:tags|categories|filed under|posted in|topics|read more|see also|more from)\s*:", _I
)
_FOOTER = re.compile(r"^(?:©|\(c\)|copyright\s*(?:©|\(c\)|\d{4}))|\ball rights reserved\b", _I)
_APPEALS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, _I), reason)
    for p, reason in (
        (r"\bconsider (?:donating|a donation|supporting us)\b", "donation appeal"),
        (r"\bsupport (?:our|independent) (?:work|journalism|reporting)\b", "donation appeal"),
        (r"\bdonate (?:now|today|here)\b|^donate\b", "donation appeal"),
        (r"\bbecome an? (?:member|patron|supporter|paid subscriber)\b", "donation appeal"),
        (r"\b(?:sign up|subscribe)\b.{0,40}\b(?:newsletter|mailing list|inbox)\b", "newsletter"),
        (r"^(?:join|get) our (?:newsletter|mailing list)\b", "newsletter"),
        (r"^we(?: want|['’]d love| would love) to hear (?:what you think|from you)", "call to action"),
        (
            r"\bcontact us at\b|^subscribe\b|^follow us\b|^(?:leave|post|add) a (?:comment|reply)\b",
            "call to action",
        ),
    )
)
_PIC = r"(?:image|photo(?:graph)?|picture|illustration|graphic|artwork)s?"
_CREDIT_COLON = re.compile(
    rf"^(?:(?:featured|header|cover|top|lead|main)\s+)?{_PIC}(?:\s+(?:credits?|courtesy(?:\s+of)?|source))?\s*:",
    _I,
)
_CREDIT_WORD = re.compile(
    rf"^(?:(?:featured|header|cover)\s+)?{_PIC}\s+(?:credits?|by|courtesy|via)\b|^credits?\s*:", _I
)
# A caption that ends with its credit: the credit starts a new sentence (or a parenthesis) near the end.
_CREDIT_TAIL = re.compile(
    r"(?:(?<=[.!?”’\")]\s)|\()(?:Photo(?:graph)?|Image|Picture|Illustration)s?"
    r"(?:\s+[Cc]redits?|\s+courtesy(?:\s+of)?)?\s*(?:by\b|:)(?P<tail>.*)$"
)
_IMAGE_CUES = tuple(
    re.compile(p, _I)
    for p in (
        r"\b(?:image|photo|photograph|picture|collage|illustration|screenshot)s?\b",
        r"\b(?:shows|showing|depicts|depicting|pictured)\b",
        r"\b(?:background|foreground|forefront)\b",
        r"\b(?:painted|graffitied|sprayed|scrawled) on (?:a|an|the)\b|\bthe letters are\b",
    )
)
_IMAGE_START = re.compile(
    r"^(?:(?:a|an)\s+(?:collage|photo|photograph|picture|image|illustration|screenshot)\s+(?:of|shows|showing)\b"
    r"|(?:image description|alt text)\b)",
    _I,
)
_VIEW_ALL = re.compile(r"\bview all(?: posts| articles| stories)?$", _I)
_ABOUT = re.compile(r"^(?:written by\s+\S|about the authors?$)", _I)
_BIO_CUE = re.compile(
    r"\b(?:author of|is an?|was an?|is the|member of|based in|lives in|writes (?:about|on|for)|journalist"
    r"|writer|editor|activist|organi[sz]er|professor|historian|researcher|designer|reporter|columnist)\b",
    _I,
)
_ROLE = re.compile(
    r"\b(?:journalist|writer|author|editor|activist|organi[sz]er|professor|historian|researcher|designer"
    r"|reporter|columnist|film-?maker|poet|novelist|lecturer|campaigner|economist|translator)s?\b",
    _I,
)
_NAME = re.compile(r"(?:[A-Z][\w'’.-]*\s+){1,3}[A-Z][\w'’.-]*")
_HEADER_SCAN = 12  # lines examined for a title repeat, byline or standfirst at the top of the page


@dataclass(frozen=True)
class _Line:
    start: int  # offsets of the stripped line in the body
    end: int
    text: str
    row: int  # physical line number, to tell adjacent lines from blank-separated ones
    body_start: int  # where the block starts once a bullet marker is skipped
    bullet: bool

    @property
    def words(self) -> int:
        return len(self.text.split())


def _split_lines(body: str) -> list[_Line]:
    lines: list[_Line] = []
    offset = 0
    for row, raw in enumerate(body.split("\n")):
        text = raw.strip()
        if text:
            start = offset + len(raw) - len(raw.lstrip())
            marker = _BULLET.match(text)
            skip = marker.end() if marker and marker.end() < len(text) else 0
            lines.append(_Line(start, start + len(text), text, row, start + skip, skip > 0))
        offset += len(raw) + 1
    return lines


def _norm(text: str) -> str:
    return normalize(text).rstrip(" .!?:;")


def _is_nav(text: str) -> bool:
    parts = [p for p in (normalize(part).strip(" :.…") for part in _NAV_SEP.split(text)) if p]
    if parts and all(p in _NAV for p in parts):
        return True
    # Breadcrumbs and menu bars: several short labels in a row, none of them a sentence.
    return len(parts) >= 3 and all(len(p.split()) <= 3 for p in parts) and not _TERMINAL.search(text)


def _is_dateline(ln: _Line) -> bool:
    # A full stop means a sentence ("Published in 2019, the book sold well."), not a dateline.
    if ln.words > 12 or _TERMINAL.search(ln.text):
        return False
    if _DATELINE.match(ln.text) and any(c.isdigit() for c in ln.text):
        return True
    rest = _DATE.sub("", ln.text)
    # What is left once dates are gone: nothing but times and separators, or a "By X" byline.
    return bool(_DATE.search(ln.text)) and (not re.search(r"[^\W\d_]", rest) or bool(_BYLINE.match(ln.text)))


def _credit_reason(ln: _Line) -> str | None:
    if (_CREDIT_COLON.match(ln.text) and ln.words <= 40) or (_CREDIT_WORD.match(ln.text) and ln.words <= 10):
        return "credit"
    tail = _CREDIT_TAIL.search(ln.text)
    if tail and len(tail["tail"].split()) <= 12 and ln.words <= 80:
        return "image caption"
    return None


def _line_reason(ln: _Line) -> str | None:
    """Clutter recognisable from the line alone, wherever it is on the page."""
    text = ln.text
    if not any(c.isalnum() for c in text):
        return "separator"
    if _URL.fullmatch(text):
        return "url"
    if ln.words <= 8 and _is_nav(text):
        return "navigation"
    if ln.words <= 12 and _LINK_LABEL.match(text):
        return "navigation"
    if ln.words <= 12 and _READ_TIME.search(text) and not _TERMINAL.search(text):
        return "read time"
    if _is_dateline(ln):
        return "byline"
    if reason := _credit_reason(ln):
        return reason
    if ln.words <= 30:
        for pattern, why in _APPEALS:
            if pattern.search(text):
                return why
    if ln.words <= 20 and _FOOTER.search(text):
        return "footer"
    return None


def _image_cues(text: str) -> int:
    return sum(1 for cue in _IMAGE_CUES if cue.search(text))


def _mark_captions(lines: list[_Line], reasons: dict[int, str]) -> None:
    # Alt text and captions sit right against the credit line (no blank line between), so adjacency
    # plus a hint of description is enough; elsewhere it takes a clear run of description cues.
    credited = [i for i, why in reasons.items() if why in ("credit", "image caption")]
    for i in credited:
        for j in (i - 1, i + 1):
            if 0 <= j < len(lines) and j not in reasons and abs(lines[j].row - lines[i].row) == 1:
                ln = lines[j]
                if _image_cues(ln.text) >= 1 or (ln.words <= 25 and not ln.bullet):
                    reasons[j] = "image caption"
    for i, ln in enumerate(lines):
        if i not in reasons and (_IMAGE_START.match(ln.text) or _image_cues(ln.text) >= 3):
            reasons[i] = "image caption"


def _meta_names(meta: EssayMeta | None) -> tuple[set[str], set[str]]:
    if meta is None:
        return set(), set()
    titles = {_norm(meta.title)}
    if meta.subtitle:
        titles |= {
            _norm(meta.subtitle),
            _norm(f"{meta.title}: {meta.subtitle}"),
            _norm(f"{meta.title} {meta.subtitle}"),
        }
    names = {_norm(n) for n in (*meta.authors, *meta.aliases) if n.strip()}
    return titles, names


def _mark_header(lines: list[_Line], reasons: dict[int, str], meta: EssayMeta | None) -> None:
    """Title repeats, bylines and standfirsts above the first real paragraph."""
    titles, names = _meta_names(meta)
    pending: list[int] = []  # unexplained lines above the title: header-image captions, site names
    seen_title = False
    for i, ln in enumerate(lines[:_HEADER_SCAN]):
        if i in reasons:
            continue
        norm = _norm(ln.text)
        if norm in titles:
            reasons[i] = "title repeat"
            reasons.update(dict.fromkeys(pending, "page header"))
            pending, seen_title = [], True
            continue
        if (
            ln.bullet
            or ln.words >= 25
            or _MID_SENTENCE.search(ln.text)
            or (ln.words >= 8 and _ENDS.search(ln.text))
        ):
            return  # the essay proper has started
        by_author = any(re.search(rf"\bby\b.*{re.escape(n)}", norm) for n in names)
        if norm in names or (not _TERMINAL.search(ln.text) and (by_author or _BYLINE.match(ln.text))):
            reasons[i] = "byline"
            continue
        if seen_title and ln.words >= 6 and not _ENDS.search(ln.text):
            reasons[i] = "subtitle"  # a standfirst the front matter does not record
            continue
        if seen_title or len(pending) >= 3:
            return
        pending.append(i)


def _is_role_list(text: str) -> bool:
    # "Journalist, writer and film-maker." -- a first sentence that is only a list of roles.
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return (
        len(first.split()) <= 8
        and bool(_ROLE.search(first))
        and not re.search(r"\b(?:is|are|was|were)\b", first)
    )


def _is_bio(name: _Line, bio: list[_Line], known: bool) -> bool:
    """Whether ``bio`` (the lines after ``name``, to the end) reads as an author box."""
    if not all(ln.words <= 60 and len(_TERMINAL.findall(ln.text)) <= 3 for ln in bio):
        return False
    if known:
        return any(_BIO_CUE.search(ln.text) for ln in bio)
    # An unknown name needs a bio that introduces it, not just any closing paragraph.
    first_last = (name.text.split()[0], name.text.split()[-1])
    return any(ln.text.startswith(first_last) or _is_role_list(ln.text) for ln in bio)


def _mark_trailer(lines: list[_Line], reasons: dict[int, str], meta: EssayMeta | None) -> None:
    """Author boxes and signatures at the very end of the page."""
    kept = [i for i in range(len(lines)) if i not in reasons]
    _, names = _meta_names(meta)
    for j in range(max(0, len(kept) - 5), len(kept)):
        ln = lines[kept[j]]
        if ln.words <= 12 and _VIEW_ALL.search(ln.text):
            reasons.update(dict.fromkeys(kept[j:], "author bio"))
            return
    for j in range(len(kept) - 2, max(-1, len(kept) - 4), -1):
        ln, bio = lines[kept[j]], [lines[k] for k in kept[j + 1 :]]
        if ln.words > 8 or _TERMINAL.search(ln.text):
            continue
        known = _norm(ln.text) in names or bool(_ABOUT.match(ln.text))
        if (known or _NAME.fullmatch(ln.text)) and _is_bio(ln, bio, known):
            reasons.update(dict.fromkeys(kept[j:], "author bio"))
            return
    if kept and _norm(lines[kept[-1]].text) in names:
        reasons[kept[-1]] = "byline"  # a closing signature


def _block_kind(ln: _Line, has_next: bool) -> BlockKind:
    if ln.bullet:
        return "list_item"
    first = next((c for c in ln.text if c.isalnum()), "")
    heading = ln.words <= 12 and not _NOT_HEADING_END.search(ln.text) and (first.isupper() or first.isdigit())
    return "heading" if heading and has_next else "paragraph"


def clean(body: str, meta: EssayMeta | None = None) -> CleanResult:
    """Split ``body`` into kept blocks and removed clutter, both in body order.

    Every non-empty line ends up in exactly one of the two. Offsets exclude surrounding whitespace and,
    for list items, the bullet marker. ``meta`` (when known) lets the title, subtitle and author lines
    at the top and the author box at the end be recognised.
    """
    lines = _split_lines(body)
    reasons: dict[int, str] = {}
    for i, ln in enumerate(lines):
        if why := _line_reason(ln):
            reasons[i] = why
    _mark_captions(lines, reasons)
    _mark_header(lines, reasons, meta)
    _mark_trailer(lines, reasons, meta)
    kept = [i for i in range(len(lines)) if i not in reasons]
    blocks = tuple(
        Block(lines[i].body_start, lines[i].end, _block_kind(lines[i], n + 1 < len(kept)))
        for n, i in enumerate(kept)
    )
    removed = tuple(Removed(lines[i].start, lines[i].end, why) for i, why in sorted(reasons.items()))
    return CleanResult(blocks=blocks, removed=removed)
