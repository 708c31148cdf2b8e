"""``essaybot quotes …`` and ``essaybot passages …``: the moderators' curation, for server admins.

The same actions as ``/quotes`` and ``/passages`` in Discord, for one guild (``--guild ID``), with
"cli" recorded as the actor in the audit log. Only the database is opened (migrated first): no
embedding model and no index, so these commands start in about a second. There is no mod-log here:
the mod-log is a Discord channel.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import context, database, discord_id, ensure_dir, handle_errors
from bot.errors import EssaybotError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.curation.passages import PassageInfo, PassageOverrides

ROLES = ("quoted", "editors' introduction", "reported view", "own", "reset")


def _guild(value: str) -> str:
    return discord_id(value, "server")


guild_option = click.option(
    "--guild", "guild", required=True, help="The Discord server (guild) id the curation belongs to."
)


@contextmanager
def _session(ctx: click.Context, guild_id: str) -> Iterator[Session]:
    """One transaction on the database that holds ``guild_id``'s curation (migrated first).

    That is the main database, or with ``corpus_scope = "per_guild"`` the server's own library in
    ``<data_dir>/guilds/<id>/``: the one the bot reads that server's curation from.
    """
    from bot.ops.guilds import adopt_misplaced_curation, guild_settings
    from bot.paths import DataDir

    settings = context(ctx).settings()
    ensure_dir(settings.data_dir)
    url = settings.resolved_database_url
    if settings.corpus_scope == "per_guild":
        own = guild_settings(settings, guild_id)
        if not DataDir(own.data_dir).database.is_file():
            # Creating it here would give the server an empty library: the bot seeds it (with the
            # embedding model) the first time it answers there.
            raise EssaybotError(
                f"server {guild_id} has no library of its own yet (corpus_scope = per_guild): "
                "it is created when the bot first answers there"
            )
        adopt_misplaced_curation(settings, guild_id)  # written to the main database by older versions
        url = own.resolved_database_url
    with database(url) as session:
        yield session


def _line(info: PassageInfo) -> str:
    state = " [hidden]" if info.hidden else ""
    if info.role is not None:
        state += f" [speaker: {info.speaker or info.author_line} ({info.role})]"
    text = " ".join(info.text.split())
    return (
        f"{info.id}{state}  “{text[:160]}{'…' if len(text) > 160 else ''}” — {info.author_line}, {info.title}"
    )


# -- quotes ---------------------------------------------------------------------------------------


@click.group()
def quotes() -> None:
    """Curated quotes of one Discord server: list, save, remove, export, import."""


@quotes.command("list")
@guild_option
@click.option("--author", help="Only this author's (or essay's) quotes.")
@click.option("--tag", help="Only quotes with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@handle_errors
def quotes_list(ctx: click.Context, guild: str, author: str | None, tag: str | None, as_json: bool) -> None:
    """The server's curated quotes, newest first."""
    from bot.answer.sides import resolve_side
    from bot.curation.quotes import CuratedQuotes, quote_json
    from bot.store.repo import CorpusRepository

    gid = _guild(guild)
    with _session(ctx, gid) as session:
        essays = None
        if author:
            metas = [e.meta for e in CorpusRepository(session).active_essays()]
            essays = set(resolve_side(author, metas).essay_ids)
        items = [quote_json(r) for r in CuratedQuotes(session, gid).listing(author_essays=essays, tag=tag)]
    if as_json:
        click.echo(json.dumps({"guild_id": gid, "quotes": items}, ensure_ascii=False))
        return
    for item in items:
        tags = f"  [{', '.join(item['tags'])}]" if item["tags"] else ""
        text = " ".join(item["text"].split())
        click.echo(f"#{item['id']}  “{text}”  ({item['essay_id']}; saved by {item['saved_by']}){tags}")
    click.echo(f"{len(items)} curated quote{'s' if len(items) != 1 else ''}", err=True)


@quotes.command("save")
@click.argument("passage")
@guild_option
@click.option("--start", "start_words", help="Keep only from these words on.")
@click.option("--end", "end_words", help="Keep only up to these words.")
@click.option("--note", help="Why it matters.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for several).")
@click.pass_context
@handle_errors
def quotes_save(
    ctx: click.Context,
    passage: str,
    guild: str,
    start_words: str | None,
    end_words: str | None,
    note: str | None,
    tags: tuple[str, ...],
) -> None:
    """Save PASSAGE (an id, or words only it contains) or some words of it as a curated quote."""
    from bot.curation.audit import CLI_ACTOR
    from bot.curation.passages import resolve_passage
    from bot.curation.quotes import CuratedQuotes, span_of_words

    gid = _guild(guild)
    with _session(ctx, gid) as session:
        info = resolve_passage(session, gid, passage)
        span = span_of_words(info.text, info.start, start_words, end_words)
        row = CuratedQuotes(session, gid).save(info.id, actor=CLI_ACTOR, span=span, note=note, tags=tags)
        quote_id, text = row.id, row.text
    click.echo(
        f"saved curated quote #{quote_id}: “{' '.join(text.split())}” — {info.author_line}, {info.title}"
    )


@quotes.command("remove")
@click.argument("quote_id", type=int)
@guild_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handle_errors
def quotes_remove(ctx: click.Context, quote_id: int, guild: str, yes: bool) -> None:
    """Remove curated quote QUOTE_ID (it can be brought back by undoing the audit entry)."""
    from bot.curation.audit import CLI_ACTOR
    from bot.curation.quotes import CuratedQuotes

    gid = _guild(guild)
    with _session(ctx, gid) as session:
        repo = CuratedQuotes(session, gid)
        text = " ".join(repo.get(quote_id).text.split())
        if not yes and not click.confirm(f"Remove curated quote #{quote_id} “{text[:120]}”?", err=True):
            click.echo("cancelled: nothing was removed", err=True)
            return
        repo.remove(quote_id, actor=CLI_ACTOR)
    click.echo(f"removed curated quote #{quote_id}")


@quotes.command("export")
@guild_option
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to a file instead of stdout.")
@click.pass_context
@handle_errors
def quotes_export(ctx: click.Context, guild: str, fmt: str, output: Path | None) -> None:
    """The server's curated quotes as JSON (what ``quotes import`` reads) or CSV."""
    from bot.curation.quote_files import export_csv, export_document
    from bot.curation.quotes import CuratedQuotes

    gid = _guild(guild)
    with _session(ctx, gid) as session:
        items = CuratedQuotes(session, gid).export()
    if fmt == "csv":
        text = export_csv(items)
    else:
        text = json.dumps(export_document(gid, items), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"exported {len(items)} curated quotes to {output}", err=True)


@quotes.command("import")
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@guild_option
@click.pass_context
@handle_errors
def quotes_import(ctx: click.Context, file: Path, guild: str) -> None:
    """Import curated quotes from FILE, a ``quotes export`` JSON file ("-" for stdin); all or nothing."""
    from bot.curation.audit import CLI_ACTOR
    from bot.curation.quote_files import parse_import
    from bot.curation.quotes import CuratedQuotes

    gid = _guild(guild)
    try:
        data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    except OSError as exc:
        raise EssaybotError(f"cannot read {str(file)!r}: {exc.strerror or exc}") from exc
    items = parse_import(data)
    with _session(ctx, gid) as session:
        saved, skipped = CuratedQuotes(session, gid).import_(items, actor=CLI_ACTOR)
    click.echo(f"imported {saved} curated quotes; {skipped} already present, skipped")


# -- passages -------------------------------------------------------------------------------------


@click.group()
def passages() -> None:
    """Passage moderation of one Discord server: find, hide, unhide, attribute."""


@passages.command("find")
@click.argument("text")
@guild_option
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@handle_errors
def passages_find(ctx: click.Context, text: str, guild: str, limit: int, as_json: bool) -> None:
    """Passages whose words match TEXT (words, not meaning: no model), with this server's decisions."""
    from bot.curation.passages import find_passages

    gid = _guild(guild)
    with _session(ctx, gid) as session:
        found = find_passages(session, gid, text, limit=limit)
    if as_json:
        keys = ("id", "essay_id", "title", "text", "start", "end", "hidden", "speaker", "role")
        items = [{k: getattr(p, k) for k in keys} | {"authors": list(p.authors)} for p in found]
        click.echo(json.dumps({"guild_id": gid, "passages": items}, ensure_ascii=False))
        return
    for info in found:
        click.echo(_line(info))
    if not found:
        click.echo("no passage matches", err=True)


def _change(
    ctx: click.Context,
    guild: str,
    passage: str,
    change: Callable[[PassageOverrides, str, str], bool],
    done: str,
) -> None:
    """Apply ``change(overrides, passage id, actor)`` in the server; print the passage as it is now."""
    from bot.curation.audit import CLI_ACTOR
    from bot.curation.passages import PassageOverrides, passage_infos, resolve_passage

    gid = _guild(guild)
    with _session(ctx, gid) as session:
        info = resolve_passage(session, gid, passage)
        changed = change(PassageOverrides(session, gid), info.id, CLI_ACTOR)
        info = passage_infos(session, gid, [info.id])[0]
    click.echo(f"{done if changed else 'nothing changed'}: {_line(info)}")


def _visibility_command(name: str, hidden: bool, done: str, help_text: str) -> None:
    """``passages hide`` and ``passages unhide``: one command each, alike but for the direction."""

    @passages.command(name, help=help_text)
    @click.argument("passage")
    @guild_option
    @click.pass_context
    @handle_errors
    def command(ctx: click.Context, passage: str, guild: str) -> None:
        _change(
            ctx,
            guild,
            passage,
            lambda repo, pid, actor: repo.hide(pid, actor=actor) if hidden else repo.unhide(pid, actor=actor),
            done,
        )


_visibility_command(
    "hide", True, "hidden", "Never show PASSAGE (an id, or words only it contains) in the server's answers."
)
_visibility_command("unhide", False, "unhidden", "Show a hidden PASSAGE in the server's answers again.")


@passages.command("attribute")
@click.argument("passage")
@click.argument("speaker")
@guild_option
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="quoted",
    show_default=True,
    help='How the essay uses the words; "own" gives them to its authors, "reset" removes the override.',
)
@click.pass_context
@handle_errors
def passages_attribute(ctx: click.Context, passage: str, speaker: str, guild: str, role: str) -> None:
    """Say that SPEAKER speaks in PASSAGE (e.g. "Tempest editors" --role "editors' introduction")."""
    who = None if role in ("own", "reset") else speaker
    value = None if role == "reset" else role
    _change(
        ctx,
        guild,
        passage,
        lambda repo, pid, actor: repo.attribute(pid, who, value, actor=actor),
        "attributed",
    )
