"""Terminal rendering of answers (rich). Discord has its own renderer; both quote text unchanged."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bot.answer.types import CompareAnswer, PositionsAnswer, Quote, Side, WhoSaidAnswer
from bot.answer.wording import headline
from bot.corpus.models import EssayMeta

MATCH_LABEL = {"exact": "exact quote", "near": "near quote", "paraphrase": "similar idea"}

# Terminal control sequences in essay text or user input would act on the terminal (clear the
# screen, set the window title, hide text): CSI and OSC sequences, other escapes, and every C0/C1
# control character except newline and tab.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: ESC [ params final
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC … BEL or ST
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC … ST
    r"|\x1b[ -/]*[0-~]?"  # any other escape
)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """``text`` without terminal control sequences or control characters (newlines and tabs stay)."""
    if not text.isprintable():
        text = _CONTROL_CHARS.sub("", _ESCAPE_SEQUENCE.sub("", text))
    return text


def _plain(text: str) -> str:
    """User or essay text made safe for the terminal: no control sequences, no rich markup."""
    return escape(strip_control(text))


def essay_json(m: EssayMeta) -> dict[str, Any]:
    """An essay's metadata as JSON."""
    return {
        "id": m.id,
        "title": m.title,
        "subtitle": m.subtitle,
        "authors": list(m.authors),
        "aliases": list(m.aliases),
        "publication": m.publication,
        "date": m.date,
        "url": m.url,
    }


def citation(q: Quote) -> str:
    """Plain-text citation: “quote” (attribution, title, publication, date) link."""
    m = q.essay
    parts = [q.attribution if q.speaker_role else m.author_line, m.title]
    parts += [x for x in (m.publication, m.date) if x]
    if q.speaker_role:
        parts = [q.attribution] + [x for x in (m.publication, m.date) if x]
    text = f"“{q.quote}” ({', '.join(parts)})"
    return f"{text} {q.link or m.url}" if (q.link or m.url) else text


def _highlighted(q: Quote) -> str:
    hs, he = q.highlight_start - q.start, q.highlight_end - q.start
    if q.match == "paraphrase" or not (0 <= hs < he <= len(q.quote)):
        return _plain(q.quote)
    return _plain(q.quote[:hs]) + "[bold]" + _plain(q.quote[hs:he]) + "[/bold]" + _plain(q.quote[he:])


def _quote_panel(q: Quote, rank: int, label: str | None = None) -> Panel:
    m = q.essay
    meta = ", ".join(x for x in (m.publication, m.date) if x)
    lines = [f"“{_highlighted(q)}”", "", f"— [bold]{_plain(q.attribution)}[/bold]"]
    if meta:
        lines.append(f"  {_plain(meta)}")
    if q.section:
        lines.append(f"  section: {_plain(q.section)}")
    if q.link or m.url:
        lines.append(f"  {_plain(q.link or m.url or '')}")
    if q.first_said and q.also_in:
        lines.append(f"  first said here; also in: {_plain(', '.join(q.also_in))}")
    title = label or f"{rank}. {MATCH_LABEL[q.match]}"
    return Panel(
        "\n".join(lines),
        title=title,
        title_align="left",
        subtitle=_plain(q.passage_id),
        subtitle_align="right",
    )


def print_who_said(console: Console, a: WhoSaidAnswer) -> None:
    """Human-readable who-said answer; its first line is the verdict (``answer.wording``)."""
    line = _plain(headline(a))
    colour = "green" if a.verdict == "found" else ("magenta" if a.contradicted_by else "red")
    verdict, _, rest = line.partition(" ")
    console.print(f"[{colour}]{verdict}[/{colour}] {rest}")
    console.print(f"[dim]You asked:[/dim] {_plain(a.searched)}")
    if a.verdict == "found":
        if a.quote_verdict in ("near",) and a.diff_summary:
            console.print(f"[yellow]Near quote:[/yellow] {_plain(a.diff_summary)}")
        for i, q in enumerate(a.results, 1):
            console.print(_quote_panel(q, i))
        return
    if a.contradicted_by:
        for i, c in enumerate(a.contradicted_by, 1):
            console.print(_quote_panel(c.quote, i, label=f"{i}. says otherwise: {_plain(c.differs)}"))
        if a.diff_summary:
            console.print(f"[yellow]Difference:[/yellow] {_plain(a.diff_summary)}")
    if a.found_elsewhere:
        console.print("[yellow]But found elsewhere:[/yellow]")
        for i, q in enumerate(a.found_elsewhere, 1):
            console.print(_quote_panel(q, i))
    elif a.closest and not a.contradicted_by:
        console.print("[dim]Related passages (none says it):[/dim]")
        for i, q in enumerate(a.closest, 1):
            console.print(_quote_panel(q, i, label=f"{i}. related, not a match"))


def _print_side(console: Console, s: Side, topic: str) -> None:
    console.rule(f"{_plain(s.label)}  [dim]({s.kind}: {_plain(', '.join(s.essay_ids))})[/dim]")
    if not s.passages:
        console.print(f"[dim]Nothing by {_plain(s.label)} on “{_plain(topic)}”.[/dim]")
    for i, q in enumerate(s.passages, 1):
        console.print(_quote_panel(q, i, label=f"{i}."))


def print_compare(console: Console, a: CompareAnswer) -> None:
    """Both sides, one after the other."""
    console.print(f"Compare on: [bold]{_plain(a.topic)}[/bold]")
    _print_side(console, a.a, a.topic)
    _print_side(console, a.b, a.topic)


def print_positions(console: Console, a: PositionsAnswer) -> None:
    """One line per author."""
    table = Table(title=f"Positions on: {_plain(a.topic)}", show_lines=True)
    table.add_column("Author")
    table.add_column("Best passage")
    for p in a.positions:
        table.add_row(
            _plain(p.author), _plain(p.passage.quote) if p.passage else "[dim]nothing on this topic[/dim]"
        )
    console.print(table)


def print_essays(console: Console, metas: list[EssayMeta]) -> None:
    """The corpus as a table; ids are never cut, since ``--author`` and ``compare`` take them."""
    table = Table(title=f"{len(metas)} essays")
    widest = max((len(m.id) for m in metas), default=2)
    # The id column keeps its full width; the other columns wrap to make room.
    table.add_column("id", no_wrap=True, min_width=widest, overflow="ignore")
    for col in ("authors", "title", "publication", "date"):
        table.add_column(col)
    for m in metas:
        table.add_row(*(_plain(x or "") for x in (m.id, m.author_line, m.title, m.publication, m.date)))
    if widest + 50 > console.width:
        # Too narrow for a table whose id column stays whole: one essay per line instead.
        for m in metas:
            console.print(_plain(f"{m.id}  {m.author_line} — {m.title}"), soft_wrap=True)
        return
    console.print(table)
