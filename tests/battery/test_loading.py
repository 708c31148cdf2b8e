"""Battery: bad essay files through every door (``essaybot ingest``, ``essaybot essays add`` and the
Discord upload checks). Each is refused with exit code 2 (or a ``CorpusError``) and one short line with
no traceback, and leaves the data directory's databases and index exactly as they were.

The CLI runs in-process with click's runner on a private copy of the seeded data directory; the
application it builds gets the session's already loaded model instead of loading it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pysbd
import pytest
from click.testing import CliRunner, Result

from battery.digest import data_dir_digest
from bot.cli.main import main
from bot.core.essaybot import Essaybot
from bot.corpus.chunker import PIECE_MAX
from bot.corpus.upload import check_file, preview, read_upload
from bot.errors import CorpusError

pytestmark = pytest.mark.model

# At most about 200 characters of echoed input, plus the file's path and the explanation.
MESSAGE_MAX = 400


def _bomb() -> bytes:
    text = "---\na: &a [" + ",".join(['"lol"'] * 9) + "]\n"
    for name, prev in zip("bcdef", "abcde", strict=True):
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return (text + "title: *f\n---\nA body. With two sentences.\n").encode()


def _essay(front: str, body: str = "The tenants met in the laundry room. Nobody owned it.\n") -> bytes:
    return f"---\n{front}\n---\n{body}".encode()


def _sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with path.open("wb") as f:  # no bytes written: only a size check can refuse it quickly
            f.truncate(size)

    return make


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    content: bytes | Callable[[Path], None]
    fragment: str
    env: tuple[tuple[str, str], ...] = ()


CASES = [
    Case("alias-bomb", "bomb.md", _bomb(), "anchors and aliases (& and *) are not allowed"),
    Case("anchor-only", "anchor.md", _essay('title: &t "Anchored"'), "anchors and aliases"),
    Case("huge-front-matter", "big-fm.md", _essay("title: T\nnotes: " + "n" * 40_000), "the limit is 16384"),
    Case("deep-nesting", "deep.md", _essay("title: " + "[" * 10_000), "nested more than"),
    Case("front-matter-list", "list.md", _essay("- a\n- b"), "must be a mapping of fields, got list"),
    Case("front-matter-scalar", "scalar.md", _essay("just words"), "must be a mapping of fields, got str"),
    Case("binary", "binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, "looks like a binary file"),
    Case("latin-1", "latin1.txt", "Caf\xe9 society met. It argued.\n".encode("latin-1"), "not UTF-8 text"),
    Case(
        "pdf", "paper.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "paper.pdf: not an essay file"
    ),
    Case(
        "oversized-sparse", "huge.md", _sparse(50 << 20), "huge.md: 50 MB is over the 1 MB limit for essays"
    ),
    Case(
        "over-configured-limit",
        "small.md",
        _essay("title: T", "A sentence that repeats. " * 400),
        "is over the 4 KB limit for essays (setting max_upload_bytes)",
        (("ESSAYBOT_MAX_UPLOAD_BYTES", "4096"),),
    ),
    Case("empty-body", "empty.md", _essay('title: "Nothing follows"', "\n \n"), "essay body is empty"),
    Case(
        "only-clutter", "links.md", _essay("title: Links", "https://example.com/a\n\n© 2024\n"), "no sentence"
    ),
    Case("bad-date", "date.md", _essay("title: T\ndate: 2024-02-30"), "not a real date: '2024-02-30'"),
    Case("huge-number", "num.md", _essay("title: T\nyear: " + "9" * 6000), "cannot be read"),
    Case(
        "unclosed", "open.md", b"---\ntitle: T\nNo closing line. Body text.\n", "front matter is not closed"
    ),
    Case("unknown-field", "field.md", _essay("title: T\ncolour: blue"), "unknown field"),
    Case("long-bad-url", "url.md", _essay("title: T\nurl: ftp://" + "u" * 12_000), "expected an http(s) URL"),
    Case(
        "python-tag", "tag.md", _essay("title: !!python/object/apply:os.system [ls]"), "could not determine"
    ),
]


@pytest.fixture
def cli(
    clone_seeded: Callable[[str], Path],
    seeded_app: Essaybot,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Callable[..., Result]]:
    data_dir = clone_seeded("battery-loading")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.core.essaybot.Embedder", lambda *args, **kwargs: seeded_app.embedder)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(
            main, ["--data-dir", str(data_dir), *args], env={"ESSAYBOT_CONFIG": "", **(env or {})}
        )

    run.data_dir = data_dir  # type: ignore[attr-defined]
    yield run


def _write(case: Case, folder: Path) -> Path:
    path = folder / case.file
    if callable(case.content):
        case.content(path)
    else:
        path.write_bytes(case.content)
    return path


def refused_in_one_line(result: Result, fragment: str) -> str:
    """Exit code 2, one short ``error:`` line on stderr containing ``fragment``, no traceback."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[:2000]
    assert fragment in lines[0] and len(lines[0]) <= MESSAGE_MAX, lines[0]
    return lines[0]


@pytest.mark.parametrize("command", ["ingest", "essays add"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_file_is_refused_and_nothing_changes(
    cli: Callable[..., Result], tmp_path: Path, case: Case, command: str
) -> None:
    path = _write(case, tmp_path)
    data_dir = cli.data_dir  # type: ignore[attr-defined]
    before = data_dir_digest(data_dir)
    result = cli(*command.split(), str(path), env=dict(case.env))
    refused_in_one_line(result, case.fragment)
    assert data_dir_digest(data_dir) == before


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_upload_is_refused_in_one_line(tmp_path: Path, case: Case) -> None:
    """The Discord upload's checks (before anything is stored): a short ``CorpusError``."""
    limit = int(dict(case.env).get("ESSAYBOT_MAX_UPLOAD_BYTES", 1 << 20))
    path = _write(case, tmp_path)
    with pytest.raises(CorpusError) as info:
        # What /essays add does: the attachment's name and size first, then its bytes, then the preview.
        check_file(case.file, path.stat().st_size, max_bytes=limit)
        upload = read_upload(path.read_bytes(), case.file, max_bytes=limit)
        preview(upload.essay, upload.warnings)
    message = str(info.value)
    assert "\n" not in message and len(message) <= MESSAGE_MAX - len("error: "), message
    assert case.fragment in message, message


def test_a_missing_file_is_refused(cli: Callable[..., Result], tmp_path: Path) -> None:
    data_dir = cli.data_dir  # type: ignore[attr-defined]
    before = data_dir_digest(data_dir)
    refused_in_one_line(cli("ingest", str(tmp_path / "nowhere.md")), "no such file or directory")
    assert data_dir_digest(data_dir) == before


def test_one_bad_file_among_good_ones_stores_none_of_them(cli: Callable[..., Result], tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_bytes(_essay('id: "good-2024"\ntitle: "Good"', "A fine essay. It has two sentences.\n"))
    (tmp_path / "bomb.md").write_bytes(_bomb())
    data_dir = cli.data_dir  # type: ignore[attr-defined]
    before = data_dir_digest(data_dir)
    refused_in_one_line(cli("ingest", str(tmp_path)), "anchors and aliases")
    assert data_dir_digest(data_dir) == before


def test_a_one_megabyte_paragraph_is_previewed_with_bounded_work(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not refused, but never quadratic: pysbd (counted, not replaced) sees bounded pieces only."""
    words = ["the", "union", "said", "workers", "need", "a", "place", "to", "meet", "and", "talk"]
    sentences = (" ".join(words[(i + k) % len(words)] for k in range(5 + i % 13)) for i in range(10**6))
    text = ""
    for n, sentence in enumerate(sentences):
        text += sentence.capitalize() + (". " if n % 7 else '? "Quoted," she said. ')
        if len(text) > 1_000_000:
            break
    path = tmp_path / "one-paragraph.md"
    path.write_text(
        f"---\ntitle: One paragraph\nauthors: [Ada Long]\n---\n{text.rstrip()}\n", encoding="utf-8"
    )
    assert 1_000_000 < path.stat().st_size <= 1 << 20

    seen: list[int] = []
    segment = pysbd.Segmenter.segment

    def counted(self: pysbd.Segmenter, piece: str) -> list[str]:
        seen.append(len(piece))
        found: list[str] = segment(self, piece)
        return found

    monkeypatch.setattr(pysbd.Segmenter, "segment", counted)
    data_dir = cli.data_dir  # type: ignore[attr-defined]
    before = data_dir_digest(data_dir)
    result = cli("essays", "add", "--dry-run", "--json", str(path))
    assert result.exit_code == 0, (result.stderr, result.exception)
    report = json.loads(result.stdout)
    assert report["previews"][0]["passages"] > 10_000
    assert max(seen) <= PIECE_MAX  # never the whole megabyte at once
    assert len(seen) <= 4 * len(text) // PIECE_MAX + 2  # linear in the text: each call advances
    assert data_dir_digest(data_dir) == before  # a dry run stores nothing


def test_the_digest_sees_a_stored_essay(cli: Callable[..., Result], tmp_path: Path) -> None:
    """The control: the same door with a good file does change the digest."""
    good = tmp_path / "good.md"
    good.write_bytes(_essay('id: "good-2024"\ntitle: "Good"', "A fine essay. It has two sentences.\n"))
    data_dir = cli.data_dir  # type: ignore[attr-defined]
    before = data_dir_digest(data_dir)
    result = cli("ingest", str(good))
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert data_dir_digest(data_dir) != before
