"""Bad input and faults against the real ``essaybot`` command line: batch files, the curation CLI,
backup and restore, a full disk, a locked database and a restore killed with SIGKILL.

Every case asserts the exit code (or the batch line's own ``{"error": …}``), a short message with no
traceback, and a library left exactly as it was (a digest of the database's library tables and of the
index files, taken before and after). Commands run as subprocesses, as a self-hoster runs them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.search.embed_cache import CACHE_FILE

pytestmark = pytest.mark.model  # the data directories are clones of the seeded one (real model)

# The interaction log and feedback are expected to grow (a failed question is logged too); every
# other table is the library, its curation and its audit trail, which bad input must never touch.
_LOG_TABLES = {"interactions", "feedback"}
GUILD = "80351110224678912"
CHICKENS_WORDS = "chickens have come home"


def data_dir_digest(data_dir: Path) -> str:
    """A digest of the library: every non-log table's rows, and the index and per-server files.

    Rows are read in primary-key order through SQL (so the WAL and page layout do not matter);
    index files by content. Lock files and the interaction log are left out.
    """
    h = hashlib.sha256()
    dbs = [data_dir / "essaybot.db", *sorted((data_dir / "guilds").glob("*/essaybot.db"))]
    for db in dbs:
        if not db.is_file():
            continue
        h.update(str(db.relative_to(data_dir)).encode())
        with contextlib.closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)) as conn:
            tables = [
                r[0]
                for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                if r[0] not in _LOG_TABLES
            ]
            for table in tables:
                h.update(table.encode())
                for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                    h.update(repr(row).encode())
    for folder in [data_dir / "index", *sorted((data_dir / "guilds").glob("*/index"))]:
        if not folder.is_dir():
            continue
        for f in sorted(folder.rglob("*")):
            # The embedding cache keeps what a failed ingest embedded (it resumes): not the library.
            if f.is_file() and f.name != ".lock" and ".tmp" not in f.name and CACHE_FILE not in f.name:
                h.update(str(f.relative_to(data_dir)).encode())
                h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESSAYBOT_", "DISCORD_TOKEN"))}
    env.update(COLUMNS="200", **extra)
    return env


def essaybot(
    *args: str | bytes,
    data_dir: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
) -> Run:
    """``python -m bot --data-dir DATA_DIR ARGS`` (arguments may be raw bytes, as a shell passes them)."""
    cmd: list[str | bytes] = [sys.executable, "-m", "bot", "--data-dir", str(data_dir), *args]
    done = subprocess.run(
        cmd, cwd=cwd, env=env or _env(), capture_output=True, input=input, timeout=300, check=False
    )
    return Run(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def assert_one_line_error(run: Run, *fragments: str) -> None:
    """Exit 2, one short ``error:`` line on stderr, no traceback."""
    assert run.code == 2, (run.code, run.stderr[-2000:])
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr[-2000:]
    assert lines[0].startswith("error: ") and len(lines[0]) < 400, lines[0]
    assert "Traceback" not in run.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def assert_line_error(obj: dict[str, Any], line: int, *fragments: str) -> None:
    """A batch line's own error object: short, naming the line, no traceback or exception name."""
    assert set(obj) == {"schema_version", "error"}, obj
    message = obj["error"]
    assert message.startswith(f"line {line}: ") and len(message) < 300, message
    assert "Traceback" not in message and "internal error" not in message, message
    for fragment in fragments:
        assert fragment in message, message


@pytest.fixture
def data_dir(clone_seeded: Callable[[str], Path]) -> Path:
    return clone_seeded("battery")


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    """An empty working directory: no stray ./essaybot.toml is read."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    return folder


# -- batch: every bad line answered on its own, the batch goes on ------------------------------------

WHO_SAID_LINES: list[tuple[bytes, tuple[str, ...]]] = [
    (b"[" * 100_000 + b"]" * 100_000, ("nested too deeply",)),  # RecursionError in the parser
    ('{"query": "café"}'.encode("latin-1"), ("not UTF-8",)),  # one stray byte
    (b'{"query": "\\ud800 who said this"}', ("not valid text",)),  # a lone surrogate
    (b'{"query": "unterminated', ("not valid JSON",)),
    (b'["a", "list"]', ("expected a JSON object",)),
    (b'{"query": 42}', ("'query'",)),
    (b'{"query": "no truce", "top": 99}', ("'top'",)),
    (b'{"query": "?!"}', ("empty",)),
    (json.dumps({"query": "war " * 1000}).encode(), ("limit",)),
    (b'{"query": "x", "author": "nobody-at-all-zzzz"}', ("nobody-at-all-zzzz",)),
]


def test_who_said_batch_answers_every_good_line_and_names_each_bad_one(data_dir: Path, cwd: Path) -> None:
    before = data_dir_digest(data_dir)
    good = b'{"query": "no truce in the class war"}'
    batch = cwd / "batch.jsonl"
    batch.write_bytes(b"\n".join([good, *(line for line, _ in WHO_SAID_LINES), good]) + b"\n")
    run = essaybot("who-said", "--batch", str(batch), data_dir=data_dir, cwd=cwd)
    assert run.code == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    out = run.lines()
    assert len(out) == len(WHO_SAID_LINES) + 2
    assert out[0]["kind"] == "who_said" and out[-1]["kind"] == "who_said"  # the batch went on
    for n, ((_, fragments), obj) in enumerate(zip(WHO_SAID_LINES, out[1:-1], strict=True), start=2):
        assert_line_error(obj, n, *fragments)
    assert data_dir_digest(data_dir) == before


def test_compare_batch_bad_lines(data_dir: Path, cwd: Path) -> None:
    before = data_dir_digest(data_dir)
    lines = [
        b'{"a": "Mason", "b": "ICL", "topic": "\\udfff sanctions"}',
        b'{"a": "Mason", "b": "nobody-zzzz", "topic": "sanctions"}',
        b'{"a": "Mason", "b": "Mason", "topic": "sanctions"}',
        b'{"a": "Mason", "b": "ICL"}',
        b"{" * 50_000,
        b'{"a": "Mason", "b": "ICL", "topic": "the Zelensky government"}',
    ]
    batch = cwd / "compare.jsonl"
    batch.write_bytes(b"\n".join(lines) + b"\n")
    run = essaybot("compare", "--batch", str(batch), data_dir=data_dir, cwd=cwd)
    assert run.code == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    out = run.lines()
    assert_line_error(out[0], 1, "not valid text")
    assert_line_error(out[1], 2, "nobody-zzzz")
    assert_line_error(out[2], 3, "same author")
    assert_line_error(out[3], 4, "'topic'")
    assert_line_error(out[4], 5, "not valid JSON")
    assert out[5]["kind"] == "compare"
    assert data_dir_digest(data_dir) == before


def test_batch_from_stdin_with_a_bad_byte_still_answers_the_rest(data_dir: Path, cwd: Path) -> None:
    before = data_dir_digest(data_dir)
    stdin = b'\xff\xfe\n{"query": "no truce in the class war"}\n'
    run = essaybot("who-said", "--batch", "-", data_dir=data_dir, cwd=cwd, input=stdin)
    assert run.code == 0, run.stderr[-2000:]
    first, second = run.lines()
    assert_line_error(first, 1, "not UTF-8")
    assert second["kind"] == "who_said"
    assert data_dir_digest(data_dir) == before


def test_missing_batch_file(data_dir: Path, cwd: Path) -> None:
    before = data_dir_digest(data_dir)
    run = essaybot("who-said", "--batch", str(cwd / "nope.jsonl"), data_dir=data_dir, cwd=cwd)
    assert_one_line_error(run, "cannot read batch file")
    assert data_dir_digest(data_dir) == before


# -- the command line ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, fragments",
    [
        ((b"who-said", b"\xff\xfe who said this"), ("not valid text",)),  # invalid bytes in argv
        ((b"compare", b"Mason", b"ICL", b"sanctions \xed\xa0\x80"), ("not valid text",)),
        (("who-said", "no truce", "--author", "nobody-at-all-zzzz"), ("nobody-at-all-zzzz",)),
        (("ingest", "/no/such/essay.md"), ("no such file",)),
        (("essays", "remove", "no-such-essay-zzzz"), ("no-such-essay-zzzz",)),
        (("forget-user", "not-a-number"), ("not a Discord user id",)),
    ],
    ids=["who-said-bytes", "compare-bytes", "unknown-author", "ingest-missing", "remove-unknown", "forget"],
)
def test_cli_bad_input(
    data_dir: Path, cwd: Path, args: tuple[str | bytes, ...], fragments: tuple[str, ...]
) -> None:
    before = data_dir_digest(data_dir)
    assert_one_line_error(essaybot(*args, data_dir=data_dir, cwd=cwd), *fragments)
    assert data_dir_digest(data_dir) == before


# -- curation CLI -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("quotes", "save", CHICKENS_WORDS, "--guild", "abc"), ("not a Discord server id",)),
        (("quotes", "save", "zzzz-no-such-words-zzzz", "--guild", GUILD), ()),
        (("quotes", "remove", "999999", "--guild", GUILD, "--yes"), ("999999",)),
        (("passages", "hide", "ffffffffffff", "--guild", GUILD), ()),
        (("passages", "unhide", CHICKENS_WORDS, "--guild", "0123"), ("not a Discord server id",)),
    ],
    ids=["bad-guild", "unknown-passage", "unknown-quote", "unknown-passage-id", "zero-padded-guild"],
)
def test_curation_cli_bad_input(
    data_dir: Path, cwd: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    before = data_dir_digest(data_dir)
    assert_one_line_error(essaybot(*args, data_dir=data_dir, cwd=cwd), *fragments)
    assert data_dir_digest(data_dir) == before


def test_quotes_import_of_garbage(data_dir: Path, cwd: Path) -> None:
    before = data_dir_digest(data_dir)
    garbage = cwd / "quotes.json"
    garbage.write_bytes(b"\x00\x01 not json " + b"[" * 10_000)
    run = essaybot("quotes", "import", str(garbage), "--guild", GUILD, data_dir=data_dir, cwd=cwd)
    assert_one_line_error(run)
    assert data_dir_digest(data_dir) == before


def test_curation_of_a_server_without_its_own_library_in_per_guild_mode(data_dir: Path, cwd: Path) -> None:
    before = data_dir_digest(data_dir)
    env = _env(ESSAYBOT_CORPUS_SCOPE="per_guild")
    run = essaybot("quotes", "save", CHICKENS_WORDS, "--guild", GUILD, data_dir=data_dir, cwd=cwd, env=env)
    assert_one_line_error(run, "no library of its own yet")
    assert data_dir_digest(data_dir) == before
    assert not (data_dir / "guilds").exists()


# -- backup and restore ---------------------------------------------------------------------------------


def make_backup(data_dir: Path, cwd: Path, name: str = "bk") -> Path:
    run = essaybot("backup", str(cwd / name), data_dir=data_dir, cwd=cwd)
    assert run.code == 0, run.stderr
    return cwd / name


def test_backup_to_an_impossible_destination(data_dir: Path, cwd: Path) -> None:
    before = data_dir_digest(data_dir)
    blocker = cwd / "a-file"
    blocker.write_text("not a folder")
    assert_one_line_error(
        essaybot("backup", str(blocker / "bk"), data_dir=data_dir, cwd=cwd), "cannot write the backup"
    )
    assert_one_line_error(essaybot("backup", str(blocker), data_dir=data_dir, cwd=cwd), "already exists")
    assert data_dir_digest(data_dir) == before
    assert sorted(p.name for p in cwd.iterdir()) == ["a-file"]  # nothing half-written left behind


def test_backup_to_a_read_only_file_system(data_dir: Path, cwd: Path, tmp_path: Path) -> None:
    mount = tmp_path / "ro"
    with _tmpfs(mount, "ro,size=1m"):
        before = data_dir_digest(data_dir)
        run = essaybot("backup", str(mount / "bk.tar.gz"), data_dir=data_dir, cwd=cwd)
        assert_one_line_error(run, "cannot write the backup", "Read-only file system")
        assert data_dir_digest(data_dir) == before


@pytest.mark.parametrize("kind", ["garbage", "unrelated", "newer", "damaged-guild"])
def test_restore_refuses_a_wrong_backup_before_replacing_anything(
    data_dir: Path, cwd: Path, kind: str
) -> None:
    src = make_backup(data_dir, cwd)
    before = data_dir_digest(data_dir)
    db = src / "essaybot.db"
    if kind == "garbage":
        db.write_bytes(b"this is not a database at all" * 100)
        expected = "not a usable SQLite database"
    elif kind == "unrelated":
        db.unlink()
        with contextlib.closing(sqlite3.connect(db)) as conn:
            conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
            conn.execute("INSERT INTO photos (path) VALUES ('cat.jpg')")
            conn.commit()
        expected = "not an essaybot database"
    elif kind == "newer":
        with contextlib.closing(sqlite3.connect(db)) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
            conn.commit()
        expected = "unknown to essaybot"
    else:
        guild = src / "guilds" / GUILD
        guild.mkdir(parents=True)
        (guild / "essaybot.db").write_bytes(b"\x00" * 4096)
        expected = f"guilds/{GUILD}/essaybot.db"
    run = essaybot("restore", str(src), "--force", data_dir=data_dir, cwd=cwd)
    assert_one_line_error(run, expected, "nothing was restored")
    assert data_dir_digest(data_dir) == before
    assert not (data_dir / "backups").exists()  # refused before even the pre-restore backup


def test_restore_of_a_missing_or_foreign_archive(data_dir: Path, cwd: Path) -> None:
    before = data_dir_digest(data_dir)
    assert_one_line_error(essaybot("restore", str(cwd / "nope"), "--force", data_dir=data_dir, cwd=cwd))
    archive = cwd / "other.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(__file__, arcname="README")
    assert_one_line_error(
        essaybot("restore", str(archive), "--force", data_dir=data_dir, cwd=cwd), "not an essaybot backup"
    )
    assert data_dir_digest(data_dir) == before


# -- faults: a full disk, a locked database, SIGKILL during a restore ----------------------------------


@contextlib.contextmanager
def _tmpfs(mount: Path, options: str) -> Iterator[Path]:
    mount.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    """Take every free byte of ``folder``'s file system; returns the filler file."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as fh:
        with contextlib.suppress(OSError):
            while True:
                fh.write(chunk)
        with contextlib.suppress(OSError):
            while True:
                fh.write(b"\0")
    return filler


@pytest.fixture
def full_disk(data_dir: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A copy of the seeded data directory on a small tmpfs that is then filled to the last byte."""
    mount = tmp_path / "small"
    with _tmpfs(mount, "size=24m") as root:
        target = root / "data"
        shutil.copytree(data_dir, target)
        with contextlib.closing(sqlite3.connect(target / "essaybot.db")) as conn:
            conn.execute("PRAGMA journal_mode = WAL")  # as the bot runs it, -wal and -shm in place
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        yield target, _fill(root)


ESSAY = (
    "---\ntitle: A new essay\nauthors: [Someone New]\n---\n\n"
    + "The working class needs its own party. " * 40
)


@pytest.mark.parametrize("command", ["ingest", "essays-remove", "quotes-save", "backup", "essays-add"])
def test_disk_full(full_disk: tuple[Path, Path], cwd: Path, command: str) -> None:
    target, filler = full_disk
    essay = cwd / "new-essay.md"
    essay.write_text(ESSAY, encoding="utf-8")
    args: dict[str, tuple[str, ...]] = {
        "ingest": ("ingest", str(essay)),
        "essays-remove": ("essays", "remove", "mason-2022-marxist-position"),
        "quotes-save": ("quotes", "save", CHICKENS_WORDS, "--guild", GUILD),
        "backup": ("backup", str(target.parent / "bk.tar.gz")),
        "essays-add": ("essays", "add", str(essay)),
    }
    filler.unlink()  # the digest itself needs a little room (the -shm file)
    before = data_dir_digest(target)
    filler = _fill(target.parent)
    run = essaybot(*args[command], data_dir=target, cwd=cwd)
    assert_one_line_error(run, "disk is full")
    filler.unlink()
    assert data_dir_digest(target) == before
    assert not list(target.parent.glob("*bk*"))  # no partial backup left behind


def test_locked_database(data_dir: Path, cwd: Path) -> None:
    """Another process holds the write lock: a write says so in one line; an answer is still given,
    with one warning line (no traceback, no SQL, not the question) for the interaction it could not log."""
    before = data_dir_digest(data_dir)
    question = "no truce in the class war zqxj"
    holder = sqlite3.connect(data_dir / "essaybot.db", isolation_level=None, timeout=1)
    try:
        holder.execute("PRAGMA journal_mode = WAL")
        holder.execute("BEGIN EXCLUSIVE")
        run = essaybot("quotes", "save", CHICKENS_WORDS, "--guild", GUILD, data_dir=data_dir, cwd=cwd)
        assert_one_line_error(run, "locked")
        answered = essaybot("who-said", question, "--json", data_dir=data_dir, cwd=cwd)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answered.code == 0, answered.stderr[-2000:]
    assert json.loads(answered.stdout)["kind"] == "who_said"
    warnings = answered.stderr.strip().splitlines()
    assert len(warnings) == 1, answered.stderr[-3000:]
    assert "could not record the who-said interaction" in warnings[0] and "locked" in warnings[0]
    assert "zqxj" not in answered.stderr and "INSERT" not in answered.stderr
    assert data_dir_digest(data_dir) == before


def test_kill_during_restore_is_recoverable(
    data_dir: Path, cwd: Path, clone_seeded: Callable[[str], Path]
) -> None:
    """SIGKILL while a restore replaces the data: the database stays a sound SQLite file, and running
    the restore again gives exactly the backup's library."""
    other = clone_seeded("battery-other")
    with contextlib.closing(sqlite3.connect(other / "essaybot.db")) as conn:
        conn.execute("DELETE FROM essays WHERE id = 'mason-2022-marxist-position'")
        conn.commit()
    src = make_backup(other, cwd, "other-bk")
    wanted = data_dir_digest(other)
    cmd = [sys.executable, "-m", "bot", "--data-dir", str(data_dir), "restore", str(src), "--force"]
    proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Kill it as it starts replacing the data: right after its backup of the current data is made.
        deadline = time.monotonic() + 120
        while not list((data_dir / "backups").glob("pre-restore-*")) and proc.poll() is None:
            assert time.monotonic() < deadline, "the restore never started"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    with contextlib.closing(sqlite3.connect(data_dir / "essaybot.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for partial in (data_dir / "backups").glob("*"):
        shutil.rmtree(partial, ignore_errors=True)
    run = essaybot("restore", str(src), "--force", data_dir=data_dir, cwd=cwd)
    assert run.code == 0, run.stderr[-2000:]
    assert data_dir_digest(data_dir) == wanted
    health = essaybot("health", "--no-heartbeat", data_dir=data_dir, cwd=cwd)
    assert health.code == 0, health.stdout
