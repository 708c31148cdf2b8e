"""Where bundled resources live, in a source checkout and in an installed wheel alike."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
_BUNDLED = _PKG / "_bundled"
_REPO = _PKG.parent.parent  # src/bot -> repository root (source checkouts and editable installs)


def _resource(name: str) -> Path:
    # A built wheel carries copies under bot/_bundled; a checkout uses the top-level folder.
    for candidate in (_BUNDLED / name, _REPO / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled resource folder {name!r} not found")


def seeds_dir() -> Path:
    """The bundled seed essays."""
    return _resource("seeds")


def migrations_dir() -> Path:
    """The Alembic migrations folder."""
    return _resource("migrations")


def package_data(name: str) -> Path:
    """A data file shipped inside the package (schemas, calibration)."""
    return _PKG / "data" / name


class DataDir:
    """Every path inside a data directory, in one place.

    The layout is a contract with earlier versions, backups and the host's chores, so it is spelled
    here only::

        essaybot.db           the SQLite database (unless ``database_url`` points elsewhere)
        index/                the index store: CURRENT and its gen-NNNNNN/ generations
        index/BUILDING.json   how far a whole index build has got, while one runs
        user-id-salt          the salt of hashed user ids (``bot.core.privacy``)
        heartbeat             the running bot's state, for ``essaybot health``
        command-sync.json     what the bot last synced of its slash commands
        backups/              automatic backups (before an upgrade, before a restore)
        guilds/<guild id>/    a server's own library in per-guild mode: a data directory of its own

    A backup folder has the same layout (database, index, salt, guilds), so ``DataDir`` names its
    files too.
    """

    DATABASE = "essaybot.db"
    INDEX = "index"
    INDEX_BUILD = "BUILDING.json"  # inside INDEX
    SALT = "user-id-salt"
    HEARTBEAT = "heartbeat"
    SYNC_STATE = "command-sync.json"
    BACKUPS = "backups"
    GUILDS = "guilds"

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def database(self) -> Path:
        """The SQLite database file."""
        return self.root / self.DATABASE

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL of :attr:`database`."""
        return f"sqlite:///{self.database.as_posix()}"

    @property
    def index(self) -> Path:
        """The index store's folder."""
        return self.root / self.INDEX

    @property
    def index_build(self) -> Path:
        """The progress file of a whole index build in progress (``bot.ops.build_status``)."""
        return self.index / self.INDEX_BUILD

    @property
    def salt(self) -> Path:
        """The salt of hashed user ids."""
        return self.root / self.SALT

    @property
    def heartbeat(self) -> Path:
        """The running bot's heartbeat file."""
        return self.root / self.HEARTBEAT

    @property
    def sync_state(self) -> Path:
        """What the bot last synced of its slash commands."""
        return self.root / self.SYNC_STATE

    @property
    def backups(self) -> Path:
        """Where automatic backups go."""
        return self.root / self.BACKUPS

    @property
    def guilds(self) -> Path:
        """The folder of per-server libraries."""
        return self.root / self.GUILDS

    def guild(self, guild_id: int | str) -> DataDir:
        """A server's own data directory; ValueError for anything but a guild id (a path traversal)."""
        return DataDir(self.guilds / checked_guild_id(guild_id))

    def guild_ids(self, *, with_database: bool = True) -> list[str]:
        """The servers with a folder here, in id order; by default only those that hold a database."""
        if not self.guilds.is_dir():
            return []
        found = (p for p in self.guilds.iterdir() if p.is_dir() and is_guild_id(p.name))
        return sorted(p.name for p in found if not with_database or (p / self.DATABASE).is_file())

    def guild_dirs(self) -> list[DataDir]:
        """The per-server data directories that hold a database, in id order."""
        return [self.guild(gid) for gid in self.guild_ids()]


def is_guild_id(name: str) -> bool:
    """Digits only: anything else as a folder name would be a path traversal or a stray folder."""
    return name.isascii() and name.isdigit()


def checked_guild_id(guild_id: int | str) -> str:
    """A guild id as a folder name; ValueError for anything else (a path traversal or a bug)."""
    gid = str(guild_id)
    if not is_guild_id(gid):
        raise ValueError(f"not a guild id: {guild_id!r}")
    return gid
