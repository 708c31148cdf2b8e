"""Per-server libraries on disk (``corpus_scope = "per_guild"``), for the host's chores.

Each server's database and index live in ``<data_dir>/guilds/<guild id>/`` (``bot.paths.DataDir``
finds them; ``bot.core.corpora`` opens them). This module imports nothing of the application at load
time (the curation CLI, ``health`` and ``backup`` stay light). It gives a server's settings, and
moves curation that older versions of ``essaybot quotes`` and ``essaybot passages`` wrote to the
main database although the server has its own library.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.paths import DataDir

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)


def guild_settings(settings: Settings, guild_id: int | str) -> Settings:
    """The settings of one server's own library: its folder as data directory, its SQLite file."""
    own = DataDir(settings.data_dir).guild(guild_id)  # ValueError for anything but a guild id
    return settings.model_copy(update={"data_dir": own.root, "database_url": None})


def adopt_misplaced_curation(settings: Settings, guild_id: str) -> int:
    """Move a server's curation from the main database into its own; return the rows moved.

    Before this version, ``essaybot quotes`` and ``essaybot passages`` wrote to the main database
    even in per-guild mode, where the bot never reads a server's curation from there. Curated quotes,
    passage overrides and their audit entries with this ``guild_id`` are copied into the server's
    database (quote ids are renumbered there, and the audit entries follow), then deleted from the
    main one. Safe to repeat: rows already copied (a crash between the two commits) are recognised
    and not copied twice. Does nothing outside per-guild mode or when either database is missing.
    """
    from bot.ops.health import sqlite_file
    from bot.store.db import make_engine, session_scope, upgrade

    if settings.corpus_scope != "per_guild":
        return 0
    main_db = sqlite_file(settings)
    own = guild_settings(settings, guild_id)
    if main_db is None or not main_db.is_file() or not DataDir(own.data_dir).database.is_file():
        return 0
    main = make_engine(settings.resolved_database_url)
    target = make_engine(own.resolved_database_url)
    try:
        upgrade(main)
        with session_scope(main) as session:
            rows = _misplaced(session, guild_id)
        if not any(rows.values()):
            return 0
        upgrade(target)
        with session_scope(target) as session:
            _copy(session, guild_id, rows)
        with session_scope(main) as session:
            moved = _delete(session, guild_id, rows)
    finally:
        main.dispose()
        target.dispose()
    log.warning(
        "moved %d curation rows of server %s from the main database into its own library", moved, guild_id
    )
    return moved


def _misplaced(session: Any, guild_id: str) -> dict[str, list[dict[str, Any]]]:
    from sqlalchemy import select

    from bot.store.models import AuditRow, CuratedQuoteRow, PassageOverrideRow

    def plain(model: Any) -> list[dict[str, Any]]:
        columns = [c.key for c in model.__mapper__.column_attrs]
        found = session.scalars(select(model).where(model.guild_id == guild_id).order_by(model.id))
        return [{k: getattr(row, k) for k in columns} for row in found]

    return {
        "quotes": plain(CuratedQuoteRow),
        "overrides": plain(PassageOverrideRow),
        # Only what the curation CLI writes: settings, quizzes and undos come from Discord, which
        # already used the server's own database.
        "audit": [a for a in plain(AuditRow) if a["action"].startswith(("quote.", "passage."))],
    }


def _copy(session: Any, guild_id: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    from bot.store.models import AuditRow, CuratedQuoteRow, PassageOverrideRow

    new_ids: dict[int, int] = {}
    for q in rows["quotes"]:
        same = _copied(session, CuratedQuoteRow, guild_id, q, ("passage_id", "start", "end", "saved_at"))
        if same is None:
            row = CuratedQuoteRow(**{k: v for k, v in q.items() if k != "id"})
            session.add(row)
            session.flush()
            same = row.id
        new_ids[q["id"]] = same
    for o in rows["overrides"]:
        # Also when not copied but decided in Discord since then: that decision wins.
        if _copied(session, PassageOverrideRow, guild_id, o, ("passage_id",)) is None:
            session.add(PassageOverrideRow(**{k: v for k, v in o.items() if k != "id"}))
    for a in rows["audit"]:
        entry = {k: v for k, v in a.items() if k != "id"}
        if a["action"].startswith("quote.") and a["target"].startswith("quote #"):
            old = int(a["target"].removeprefix("quote #"))
            if old in new_ids:
                entry["target"] = f"quote #{new_ids[old]}"
                for side in ("before", "after"):
                    if isinstance(entry[side], dict) and "id" in entry[side]:
                        entry[side] = {**entry[side], "id": new_ids[old]}
        if _copied(session, AuditRow, guild_id, entry, ("action", "target", "created_at")) is None:
            session.add(AuditRow(**entry))
    session.flush()


def _copied(
    session: Any, model: Any, guild_id: str, values: dict[str, Any], keys: tuple[str, ...]
) -> int | None:
    """The id of the server's row of ``model`` that equals ``values`` on ``keys`` (one copied before)."""
    from sqlalchemy import select

    same = [getattr(model, key) == values[key] for key in keys]
    found: int | None = session.scalars(select(model.id).where(model.guild_id == guild_id, *same)).first()
    return found


def _delete(session: Any, guild_id: str, rows: dict[str, list[dict[str, Any]]]) -> int:
    from sqlalchemy import delete

    from bot.store.models import AuditRow, CuratedQuoteRow, PassageOverrideRow

    moved = 0
    for model, key in ((AuditRow, "audit"), (PassageOverrideRow, "overrides"), (CuratedQuoteRow, "quotes")):
        ids = [r["id"] for r in rows[key]]
        if ids:
            result = session.execute(
                delete(model).where(model.guild_id == guild_id, model.id.in_(ids)),
                execution_options={"synchronize_session": False},
            )
            moved += result.rowcount
    return moved
