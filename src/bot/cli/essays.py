"""``essaybot essays``: list the library (the default), and add, remove, restore or edit essays.

The same actions as ``/essays`` in Discord, for the server's admins: validated the same way (size
limit, UTF-8 text, front matter, no duplicate, a free id), audited with "cli" as the actor, undoable
with ``/audit undo``, and published as a new index generation that a running bot picks up at once.
Heavy modules are imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import emit_json, err, handle_errors, open_app, out

if TYPE_CHECKING:
    from bot.corpus.models import EssayMeta
    from bot.corpus.upload import Preview

_METADATA_OPTIONS = (
    ("--title", "New title."),
    ("--authors", "Authors separated by commas (or semicolons); - for unsigned."),
    ("--date", "YYYY-MM-DD, YYYY-MM or YYYY; - to clear."),
    ("--url", "Link to the original; - to clear."),
    ("--publication", "Where it was published; - to clear."),
)


def _metadata_options(fn: Any) -> Any:
    for flag, help_text in reversed(_METADATA_OPTIONS):
        fn = click.option(flag, default=None, help=help_text)(fn)
    return fn


@click.group("essays", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@handle_errors
def essays(ctx: click.Context, as_json: bool) -> None:
    """List the essays in the corpus (default), or add, remove, restore and edit them."""
    if ctx.invoked_subcommand is None:
        _list(ctx, as_json)


@essays.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@handle_errors
def list_command(ctx: click.Context, as_json: bool) -> None:
    """List the essays in the corpus."""
    _list(ctx, as_json)


def _list(ctx: click.Context, as_json: bool) -> None:
    from bot.cli.render import essay_json, print_essays

    metas = open_app(ctx, show_progress=not as_json).essays()
    if as_json:
        emit_json({"schema_version": "1.0", "kind": "essays", "essays": [essay_json(m) for m in metas]})
    else:
        print_essays(out, metas)


@essays.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_metadata_options
@click.option("--dry-run", is_flag=True, help="Validate and show the preview; store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@handle_errors
def add(
    ctx: click.Context,
    paths: tuple[Path, ...],
    title: str | None,
    authors: str | None,
    date: str | None,
    url: str | None,
    publication: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Add new essays (.md with front matter, or .txt; a folder adds its files), all or nothing.

    The metadata options apply to a single file. An essay already stored (same text, or same id) is
    refused: use `essaybot ingest --force` to replace one.
    """
    given = {"title": title, "authors": authors, "date": date, "url": url, "publication": publication}
    _add(ctx, paths, dry_run, as_json, given)


def _add(
    ctx: click.Context, paths: tuple[Path, ...], dry_run: bool, as_json: bool, given: dict[str, str | None]
) -> None:
    from bot.corpus.upload import parse_changes, with_metadata
    from bot.curation.audit import CLI_ACTOR
    from bot.errors import CorpusError

    files = _essay_files(paths)
    wanted = {k: v for k, v in given.items() if v is not None}
    if wanted and len(files) != 1:
        raise CorpusError(
            f"--title, --authors, --date, --url and --publication need exactly one file, not {len(files)}"
        )
    app = open_app(ctx, show_progress=not as_json)
    previews: list[Preview] = []
    for path in files:
        upload = _read(path, app.settings.max_upload_bytes)
        essay = with_metadata(upload.essay, parse_changes(wanted)) if wanted else upload.essay
        if any(p.essay.id == essay.id for p in previews):
            raise CorpusError(f"{path}: essay id {essay.id!r} is used by two of the files")
        previews.append(app.library.preview_essay(essay, upload.warnings))
    for p in previews:
        for warning in p.warnings:
            err.print(f"[yellow]warning:[/] {warning}", markup=True, highlight=False)
    if as_json:
        report: dict[str, Any] = {"previews": [_preview_json(p) for p in previews]}
    else:
        for p in previews:
            _print_preview(p)
    if not dry_run:
        done = app.library.add_essays([p.prepared for p in previews], actor=CLI_ACTOR)
        if as_json:
            report.update(vars(done))
        else:
            plural = "s" if len(done.added) != 1 else ""
            click.echo(
                f"added {len(done.added)} essay{plural}: {', '.join(done.added)}; "
                f"{done.passages} passages in the corpus ({done.embedded} embedded) in {done.seconds:.1f}s; "
                f"index generation {done.generation}"
            )
    elif not as_json:
        click.echo("dry run: nothing was stored")
    if as_json:
        emit_json({"schema_version": "1.0", "kind": "essays_add", "dry_run": dry_run, **report})


def _essay_files(paths: tuple[Path, ...]) -> list[Path]:
    from bot.corpus.loader import ESSAY_SUFFIXES
    from bot.errors import CorpusError

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in ESSAY_SUFFIXES and not p.name.startswith(".")
            )
        elif path.is_file():
            files.append(path)
        else:
            raise CorpusError(f"{path}: no such file or directory")
    if not files:
        raise CorpusError(f"no .md or .txt files in {', '.join(map(str, paths))}")
    return files


def _read(path: Path, max_bytes: int) -> Any:
    from bot.corpus.loader import clip, read_limited
    from bot.corpus.upload import check_file, read_upload
    from bot.errors import CorpusError

    try:
        check_file(path.name, path.stat().st_size, max_bytes=max_bytes)
    except OSError as exc:
        raise CorpusError(f"{clip(str(path))}: cannot read file ({exc.strerror or exc})") from None
    # Bounded read: a file that grew since the check is refused without being read whole.
    return read_upload(read_limited(path, max_bytes), path.name, max_bytes=max_bytes)


def _preview_json(p: Preview) -> dict[str, Any]:
    from bot.cli.render import essay_json

    return {
        "essay": essay_json(p.essay.meta),
        "passages": p.passages,
        "paragraphs": p.paragraphs,
        "removed": [{"reason": reason, "text": text} for reason, text in p.removed],
        "speakers": [{"speaker": name, "count": n} for name, n in p.speakers],
        "reported": [{"speaker": who, "text": text} for who, text in p.reported],
        "warnings": list(p.warnings),
    }


def _print_preview(p: Preview) -> None:
    meta = p.essay.meta
    details = " · ".join(x for x in (meta.author_line, meta.publication, meta.date, meta.url) if x)
    click.echo(f"{meta.id}: {meta.title} ({details})")
    click.echo(f"  {p.passages} sentences in {p.paragraphs} paragraphs")
    click.echo(f"  removed by the cleaner: {len(p.removed)} pieces, {p.removed_chars} characters")
    for reason, text in p.removed[:5]:
        click.echo(f"    {reason}: {text}")
    speakers = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in p.speakers)
    click.echo(f"  quoted speakers: {speakers or 'none found'}")
    for who, text in p.reported[:5]:
        click.echo(f"  reported view ({who}): {text}")


def _tombstone_command(name: str, restore: bool, help_text: str) -> None:
    """``essays remove`` and ``essays restore``: one command each, alike but for the direction."""

    @essays.command(name, help=help_text)
    @click.argument("essay_id")
    @click.pass_context
    @handle_errors
    def command(ctx: click.Context, essay_id: str) -> None:
        from bot.curation.audit import CLI_ACTOR

        library = open_app(ctx).library
        if restore:
            click.echo(f"restored {_name(library.restore_essay_by(essay_id, actor=CLI_ACTOR))}")
            return
        meta = library.remove_essay_by(essay_id, actor=CLI_ACTOR)
        click.echo(f"removed {_name(meta)}; `essaybot essays restore {meta.id}` brings it back")


_tombstone_command(
    "remove", False, "Take an essay out of answers (kept as a tombstone: `essays restore` brings it back)."
)
_tombstone_command("restore", True, "Bring a removed essay back into answers.")


@essays.command("edit")
@click.argument("essay_id")
@_metadata_options
@click.pass_context
@handle_errors
def edit(
    ctx: click.Context,
    essay_id: str,
    title: str | None,
    authors: str | None,
    date: str | None,
    url: str | None,
    publication: str | None,
) -> None:
    """Change an essay's title, authors, date, url or publication."""
    from bot.corpus.upload import EDITABLE, parse_changes
    from bot.curation.audit import CLI_ACTOR

    changes = parse_changes(
        {"title": title, "authors": authors, "date": date, "url": url, "publication": publication}
    )
    before, after = open_app(ctx).library.edit_essay(essay_id, actor=CLI_ACTOR, **changes)
    shown = [
        f"{n}: {_field(before, n)} -> {_field(after, n)}"
        for n in EDITABLE
        if getattr(before, n) != getattr(after, n)
    ]
    click.echo(f"edited {after.id}: " + "; ".join(shown))


def _name(meta: EssayMeta) -> str:
    return f"{meta.id} ({meta.title!r} by {meta.author_line})"


def _field(meta: EssayMeta, name: str) -> str:
    value = meta.author_line if name == "authors" else getattr(meta, name)
    return repr(value) if value else "none"
