"""``essaybot health``: is the bot fit to answer? Cheap enough to run every 30 s on a small host.

Three checks: the database is reachable and migrated to the newest revision, the current index
generation is present with a readable manifest, and the heartbeat the bot writes while connected to
Discord is fresh and says ``connected``. This module (and whatever it imports) must never import
torch, sentence-transformers or FAISS: that would cost seconds and hundreds of MB per check, so the
index is judged from its files rather than through ``bot.search.index_store``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import EssaybotError
from bot.ops.build_status import read_build_status
from bot.ops.heartbeat import read_heartbeat
from bot.paths import DataDir

if TYPE_CHECKING:
    from bot.config import Settings

# A heartbeat older than this many refresh periods means the bot is stuck or gone.
STALE_AFTER_PERIODS = 3
# The health check must answer quickly even when an ingest holds the SQLite write lock.
HEALTH_BUSY_TIMEOUT_MS = 2000


@dataclass(frozen=True)
class Check:
    """One line of a health report or doctor checklist."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """``ok   name: detail`` or ``FAIL name: detail``, aligned for a terminal."""
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


@dataclass(frozen=True)
class HealthReport:
    """The checks of one health run; healthy when every one passed."""

    checks: tuple[Check, ...]

    @property
    def healthy(self) -> bool:
        """True when every check passed."""
        return all(c.ok for c in self.checks)

    def lines(self) -> Iterable[str]:
        """One printable line per check."""
        return (c.line() for c in self.checks)


def check_health(
    settings: Settings,
    *,
    now: float | None = None,
    max_age: float | None = None,
    heartbeat: bool = True,
) -> HealthReport:
    """Run the health checks; ``heartbeat=False`` skips the bot check (installs without a bot)."""
    checks = [check_database(settings), check_index_files(settings.data_dir)]
    guilds = check_guild_libraries(settings.data_dir)
    if guilds is not None:
        checks.append(guilds)
    if heartbeat:
        limit = max_age if max_age is not None else STALE_AFTER_PERIODS * settings.discord.heartbeat_seconds
        checks.append(check_heartbeat(settings.data_dir, now=now, max_age=limit))
    return HealthReport(tuple(checks))


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite database file, or None when the database is not a SQLite file."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = (url.database or "").removeprefix("file:").split("?", 1)[0]
    if database in ("", ":memory:"):
        return None
    return Path(database)


def safe_url(settings: Settings) -> str:
    """The database URL with any password masked, fit for logs and checklists."""
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def check_database(settings: Settings) -> Check:
    """The database answers and its schema is at the newest migration shipped with this version."""
    from bot.store.db import current_revision, head_revision, make_engine

    db_file = sqlite_file(settings)
    if db_file is not None and not db_file.is_file():
        # Connecting would create an empty file; a probe must not change what it inspects.
        return Check("database", False, f"{db_file} does not exist yet (created on first start)")
    try:
        engine = make_engine(settings.resolved_database_url, busy_timeout_ms=HEALTH_BUSY_TIMEOUT_MS)
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
        head = head_revision()
    except EssaybotError as exc:
        return Check("database", False, str(exc))
    except (SQLAlchemyError, OSError, ImportError) as exc:  # ImportError: the driver is not installed
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return Check("database", False, f"{safe_url(settings)} unreachable: {reason}")
    if current is None:
        return Check("database", False, "no essaybot schema yet (run `essaybot db upgrade` or start the bot)")
    if current != head:
        return Check("database", False, f"at revision {current}, this version needs {head} (migrate)")
    return Check("database", True, f"reachable, at revision {head}")


def read_index_manifest(data_dir: Path) -> tuple[str, dict[str, Any]]:
    """The current generation's folder name and manifest; raises ValueError saying what is wrong."""
    root = DataDir(data_dir).index
    try:
        name = (root / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ValueError("no index yet (built on first start or by `essaybot ingest`)") from None
    except OSError as exc:
        raise ValueError(f"cannot read {root / 'CURRENT'}: {exc.strerror or exc}") from None
    if not name.startswith("gen-") or "/" in name or name in (".", ".."):
        raise ValueError(f"{root / 'CURRENT'} does not name a generation")
    folder = root / name
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"generation {name}: manifest unreadable ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("passage_count"), int):
        raise ValueError(f"generation {name}: manifest is not an index manifest")
    missing = [f for f in ("sentences.faiss", "passage_ids.json") if not (folder / f).is_file()]
    if missing:
        raise ValueError(f"generation {name}: missing {', '.join(missing)}")
    return name, manifest


def check_index_files(data_dir: Path) -> Check:
    """The current index generation exists and its manifest can be read."""
    building = read_build_status(DataDir(data_dir).index_build)
    try:
        name, manifest = read_index_manifest(data_dir)
    except ValueError as exc:
        if building is not None and "no index yet" in str(exc):  # the first import, under way
            return Check("index", True, f"no index yet: {building.line()}")
        return Check("index", False, str(exc))
    passages, model = manifest["passage_count"], manifest.get("model")
    detail = f"{name}, {passages} passages, model {model}"
    # A rebuild beside a current generation: that one answers meanwhile.
    return Check("index", True, detail + (f"; {building.line()}" if building is not None else ""))


def check_heartbeat(data_dir: Path, *, now: float | None, max_age: float) -> Check:
    """The bot refreshed its heartbeat recently and is connected to Discord."""
    beat = read_heartbeat(data_dir)
    if beat is None:
        return Check("heartbeat", False, "no heartbeat file: is `essaybot run` running?")
    age = beat.age(now)
    detail = f"{beat.state} {age:.0f}s ago (pid {beat.pid})" + (f": {beat.detail}" if beat.detail else "")
    if beat.state == "starting":
        building = read_build_status(DataDir(data_dir).index_build)
        if building is not None and building.pid == beat.pid:
            # Busy, not stuck: the bot builds its index before it connects (a first import, a
            # rebuild after damage). The build's own progress file shows it is alive.
            return Check("heartbeat", True, f"starting (pid {beat.pid}): {building.line()}")
    if age > max_age:
        return Check("heartbeat", False, f"stale, older than {max_age:.0f}s: {detail}")
    if beat.state != "connected":
        return Check("heartbeat", False, f"not connected to Discord: {detail}")
    return Check("heartbeat", True, detail)


def check_guild_libraries(data_dir: Path) -> Check | None:
    """Every per-server library (``guilds/<id>/``) has a readable, migrated database and an index.

    None when there are none (``corpus_scope = "shared"``). A database at an older revision is fine:
    it is migrated when the bot next opens it. Cheap: one small query per server, no integrity scan.
    """
    import sqlite3

    from bot.store.db import head_revision

    folders = DataDir(data_dir).guild_dirs()
    if not folders:
        return None
    head = head_revision()
    problems: list[str] = []
    for folder in folders:
        try:
            uri = f"{folder.database.absolute().as_uri()}?mode=ro"
            with contextlib.closing(
                sqlite3.connect(uri, uri=True, timeout=HEALTH_BUSY_TIMEOUT_MS / 1000)
            ) as conn:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error as exc:
            problems.append(f"{folder.root.name}: database unreadable ({str(exc)[:80]})")
            continue
        if row is None or str(row[0]) not in known_revisions():
            problems.append(
                f"{folder.root.name}: database at unknown revision {row and row[0]!r} (this version: {head})"
            )
        try:
            read_index_manifest(folder.root)
        except ValueError as exc:
            if "no index yet" not in str(exc):  # a new server's index is built on its first question
                problems.append(f"{folder.root.name}: {exc}")
    if problems:
        return Check("servers", False, "; ".join(problems[:5]) + (" …" if len(problems) > 5 else ""))
    return Check(
        "servers", True, f"{len(folders)} per-server librar{'ies' if len(folders) != 1 else 'y'} readable"
    )


def known_revisions() -> set[str]:
    """Every migration revision shipped with this version of essaybot."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.paths import migrations_dir

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
