"""``essaybot doctor``: a checklist of everything a self-hosted bot needs, with a hint for each failure.

Unlike the health check it may be slow: it compares the index with the database and looks for the
embedding model. It never prints the Discord token or any part of it, only whether it is there and
looks like a token.
"""

from __future__ import annotations

import base64
import binascii
import importlib.metadata
import os
import re
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import ConfigError, EssaybotError
from bot.ops.health import Check, check_database, check_guild_libraries
from bot.paths import DataDir

if TYPE_CHECKING:
    from bot.config import Settings

# Room for a few backups and an index rebuild of a sizeable corpus.
MIN_FREE_BYTES = 512 * 1024 * 1024
# Discord bot tokens are three base64url parts: the bot's user id, a timestamp and an HMAC.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")


def run_doctor(
    settings_loader: Callable[[], Settings],
    *,
    require_token: bool = True,
    echo: Callable[[str], object] | None = print,
) -> list[Check]:
    """Run every check, echoing each line as soon as it is known (some take seconds)."""
    checks: list[Check] = []

    def record(check: Check) -> None:
        checks.append(check)
        if echo is not None:
            echo(check.line())

    settings = _load(settings_loader, record)
    if settings is None:
        for name in ("token", "database", "index", "model", "verifier", "disk"):
            record(Check(name, False, "not checked: the configuration is invalid"))
        return checks
    record(check_token(settings, required=require_token))
    database = check_database(settings)
    record(database)
    if database.ok:
        record(check_index_fresh(settings))
    else:
        record(Check("index", False, "not checked: the database is not ready"))
    servers = check_guild_libraries(settings.data_dir)  # per-server libraries, when there are any
    if servers is not None:
        record(servers)
    record(check_model(settings.embedding_model))
    record(check_verifier())
    record(check_disk(settings.data_dir))
    return checks


def check_verifier() -> Check:
    """The verifier's calibration and its sentiment lexicon load (both ship in packages, offline)."""
    from bot.answer.calibration import Calibration
    from bot.answer.cues import lexicon_size

    try:
        calibration = Calibration.load()
        words = lexicon_size()
    except (OSError, ValueError, KeyError, ModuleNotFoundError) as exc:
        return Check("verifier", False, f"cannot load: {exc}")
    return Check(
        "verifier",
        True,
        f"calibration {calibration.id}, {words:,} direction words (VADER lexicon + reviewed list)",
    )


def _load(settings_loader: Callable[[], Settings], record: Callable[[Check], None]) -> Settings | None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            settings = settings_loader()
        except ConfigError as exc:
            record(Check("config", False, str(exc)))
            return None
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    detail = "valid" + (f"; warnings: {'; '.join(notes)}" if notes else "")
    record(Check("config", True, detail))
    return settings


def token_shape_problem(token: str) -> str | None:
    """What is wrong with the token's shape, or None when it looks like a bot token.

    The message never quotes the token: it only names the problem.
    """
    if token.lower().startswith(("bot ", "bearer ")):
        return 'starts with "Bot "; give the token alone, without the prefix'
    if token[:1] in "\"'" or token[-1:] in "\"'":
        return "is wrapped in quotes; remove them"
    if any(c.isspace() for c in token):
        return "contains whitespace"
    if not _TOKEN_SHAPE.fullmatch(token):
        return "is not three dot-separated base64url parts, as a Discord bot token is"
    first = token.split(".", 1)[0]
    try:
        user_id = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        user_id = ""
    if not user_id.isdigit():
        return "first part does not encode a Discord user id; was it copied whole?"
    return None


def check_token(settings: Settings, *, required: bool = True) -> Check:
    """The token is set and plausible; the check says where it came from, never what it is."""
    from bot.config import TOKEN_ENV, TOKEN_FILE_ENV

    source = TOKEN_FILE_ENV if os.environ.get(TOKEN_FILE_ENV, "").strip() else TOKEN_ENV
    if settings.discord_token is None:
        hint = f"not set: set {TOKEN_ENV} or {TOKEN_FILE_ENV} (a Docker secret) to run the bot"
        return Check("token", not required, hint if required else f"{hint} (not needed for the CLI)")
    problem = token_shape_problem(settings.discord_token.get_secret_value())
    if problem is not None:
        return Check("token", False, f"from {source} {problem}")
    return Check("token", True, f"present (from {source}) and plausible in shape; not shown")


def check_index_fresh(settings: Settings) -> Check:
    """The current index generation was built from the database's corpus with the configured model."""
    from bot.answer.calibration import Calibration
    from bot.search.index_store import IndexStore, StaleIndexError
    from bot.search.snapshot import snapshot_of
    from bot.store.db import make_engine, session_scope
    from bot.store.repo import CorpusRepository

    try:
        engine = make_engine(settings.resolved_database_url)
        try:
            with session_scope(engine) as session:
                snap = snapshot_of(CorpusRepository(session))
        finally:
            engine.dispose()
        loaded = IndexStore(DataDir(settings.data_dir).index).load(
            model=settings.embedding_model, corpus_hash=snap.corpus_hash, calibration=Calibration.load().id
        )
    except StaleIndexError as exc:
        return Check("index", False, f"stale: {exc} (rebuilt on next start, or run `essaybot reindex`)")
    except EssaybotError as exc:
        return Check("index", False, str(exc))
    m = loaded.manifest
    return Check("index", True, f"fresh: generation {m.generation}, {m.passage_count} passages, {m.model}")


def check_model(name: str) -> Check:
    """The embedding model can be loaded without the network (nothing is downloaded to find out)."""
    from bot.search.embedder import resolve_model_path

    try:
        torch_version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return Check("model", False, "torch is not installed")
    try:
        path = Path(resolve_model_path(name))
    except ConfigError as exc:
        return Check("model", False, str(exc))
    if path.is_dir() and any((path / f).is_file() for f in ("modules.json", "config.json")):
        return Check("model", True, f"{name} available offline at {path} (torch {torch_version})")
    cached = _hub_cache(name)
    if cached is not None:
        return Check("model", True, f"{name} in the Hugging Face cache at {cached} (torch {torch_version})")
    return Check("model", False, f"{name} is neither a local model folder nor cached; it needs internet")


def _hub_cache(name: str) -> Path | None:
    """The locally cached snapshot of a hub model, looked up with downloads forbidden."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces, as the embedder does
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    candidates = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    for repo_id in candidates:
        try:
            return Path(snapshot_download(repo_id=repo_id, local_files_only=True))
        except Exception:  # any failure means "not cached", and the hub raises many kinds
            continue
    return None


def check_disk(data_dir: Path) -> Check:
    """Free space and write access where the database and index live (or will be created)."""
    probe = data_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    writable = os.access(probe, os.W_OK)
    detail = f"{free / 1e9:.1f} GB free at {probe}" + ("" if writable else ", NOT writable")
    if not writable:
        return Check("disk", False, detail)
    if free < MIN_FREE_BYTES:
        return Check("disk", False, f"{detail}; keep at least {MIN_FREE_BYTES // 2**20} MiB free")
    return Check("disk", True, detail)
