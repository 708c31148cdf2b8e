"""Terminal rendering of answers (rich). Discord has its own renderer; both quote text unchanged."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bot.answer.types import CompareAnswer, PositionsAnswer, Quote, Side, WhoSaidAnswer
from bot.corpus.models import EssayMeta

MATCH_LABEL = {"exact": "exact quote", "near": "near quote", "paraphrase": "similar idea"}


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
        return escape(q.quote)
    return escape(q.quote[:hs]) + "[bold]" + escape(q.quote[hs:he]) + "[/bold]" + escape(q.quote[he:])


def _quote_panel(q: Quote, rank: int, label: str | None = None) -> Panel:
    m = q.essay
    meta = ", ".join(x for x in (m.publication, m.date) if x)
    lines = [f"“{_highlighted(q)}”", "", f"— [bold]{escape(q.attribution)}[/bold]"]
    if meta:
        lines.append(f"  {escape(meta)}")
    if q.section:
        lines.append(f"  section: {escape(q.section)}")
    if q.link or m.url:
        lines.append(f"  {escape(q.link or m.url or '')}")
    if q.first_said and q.also_in:
        lines.append(f"  first said here; also in: {escape(', '.join(q.also_in))}")
    title = label or f"{rank}. {MATCH_LABEL[q.match]}"
    return Panel(
        "\n".join(lines), title=title, title_align="left", subtitle=q.passage_id, subtitle_align="right"
    )


def print_who_said(console: Console, a: WhoSaidAnswer) -> None:
    """Human-readable who-said answer."""
    if a.verdict == "found":
        console.print(f"[green]Found[/green] (confidence {a.confidence:.0%}) for: {escape(a.searched)}")
        if a.quote_verdict in ("near",) and a.diff_summary:
            console.print(f"[yellow]Near quote:[/yellow] {escape(a.diff_summary)}")
        for i, q in enumerate(a.results, 1):
            console.print(_quote_panel(q, i))
        return
    where = f" in {escape(a.author_filter)}'s essays" if a.author_filter else " in the corpus"
    console.print(f"[red]Not found[/red]: nothing{where} says this.")
    if a.found_elsewhere:
        console.print("[yellow]But found elsewhere:[/yellow]")
        for i, q in enumerate(a.found_elsewhere, 1):
            console.print(_quote_panel(q, i))
    elif a.closest:
        console.print("[dim]Closest passages (not a match):[/dim]")
        for i, q in enumerate(a.closest, 1):
            console.print(_quote_panel(q, i, label=f"{i}. closest, not a match"))


def _print_side(console: Console, s: Side, topic: str) -> None:
    console.rule(f"{escape(s.label)}  [dim]({s.kind}: {escape(', '.join(s.essay_ids))})[/dim]")
    if not s.passages:
        console.print(f"[dim]Nothing by {escape(s.label)} on “{escape(topic)}”.[/dim]")
    for i, q in enumerate(s.passages, 1):
        console.print(_quote_panel(q, i, label=f"{i}."))


def print_compare(console: Console, a: CompareAnswer) -> None:
    """Both sides, one after the other."""
    console.print(f"Compare on: [bold]{escape(a.topic)}[/bold]")
    _print_side(console, a.a, a.topic)
    _print_side(console, a.b, a.topic)


def print_positions(console: Console, a: PositionsAnswer) -> None:
    """One line per author."""
    table = Table(title=f"Positions on: {a.topic}", show_lines=True)
    table.add_column("Author")
    table.add_column("Best passage")
    for p in a.positions:
        table.add_row(
            escape(p.author), escape(p.passage.quote) if p.passage else "[dim]nothing on this topic[/dim]"
        )
    console.print(table)


def print_essays(console: Console, metas: list[EssayMeta]) -> None:
    """The corpus as a table."""
    table = Table(title=f"{len(metas)} essays")
    for col in ("id", "authors", "title", "publication", "date"):
        table.add_column(col)
    for m in metas:
        table.add_row(*(escape(x or "") for x in (m.id, m.author_line, m.title, m.publication, m.date)))
    console.print(table)
