"""The ``essaybot`` command line, run as a real subprocess against one prepared data directory.

The data directory is a copy of the session's seeded one (database via SQLite's backup API, index
folder as files), so the seeds are ingested once per test session rather than once more here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bot.paths import package_data

pytestmark = pytest.mark.model

SCHEMA: dict[str, Any] = json.loads(package_data("answer.schema.json").read_text(encoding="utf-8"))
MASON = "mason-2022-marxist-position"
ICL = "icl-2025-wv1184-ukraine"
SEED_COUNT = 5


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def validator(name: str | None = None) -> Draft202012Validator:
    """The whole answer schema, or one of its ``$defs``."""
    if name is None:
        return Draft202012Validator(SCHEMA)
    return Draft202012Validator({**SCHEMA, "oneOf": [{"$ref": f"#/$defs/{name}"}]})


def assert_user_error(run: Run, *fragments: str) -> None:
    """Exit code 2, exactly one line on stderr starting with "error:", no traceback."""
    assert run.code == 2, (run.code, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in run.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-work")


@pytest.fixture(scope="module")
def data_dir(clone_seeded: Callable[[str], Path]) -> Path:
    """A private copy of the seeded data directory for the subprocesses to use."""
    return clone_seeded("cli-data")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESSAYBOT_", "DISCORD_TOKEN"))}
    env["COLUMNS"] = "200"
    return env


def _command(args: tuple[str, ...], data_dir: Path | None) -> list[str]:
    cmd = [sys.executable, "-m", "bot"]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    return [*cmd, *args]


@pytest.fixture(scope="module")
def cli(workdir: Path) -> Any:
    def run(*args: str, data_dir: Path | None = None, timeout: float = 180) -> Run:
        done = subprocess.run(
            _command(args, data_dir),
            cwd=workdir,  # no stray ./essaybot.toml gets picked up
            env=_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


# -- answers (each loads the model, so the four run side by side) -----------------------------------


@pytest.fixture(scope="module")
def answers(data_dir: Path, workdir: Path) -> dict[str, Run]:
    batch = workdir / "batch.jsonl"
    batch.write_text(
        '{"query": "no truce in the class war"}\n{"query": "unterminated\n{"query": ""}\n'
        '{"query": "no truce in the class war", "top": "3"}\n{"query": "x", "author": 5}\n',
        encoding="utf-8",
    )
    commands: dict[str, tuple[str, ...]] = {
        "who_said": ("who-said", "no truce in the class war", "--json"),
        "compare": ("compare", "Mason", "ICL", "the Zelensky government", "--json"),
        "positions": ("positions", "sanctions", "--json"),
        "batch": ("who-said", "--batch", str(batch), "--json"),
        "human": ("who-said", "Who said to be America's friend is deadly?"),
    }
    procs = {
        name: subprocess.Popen(
            _command(args, data_dir),
            cwd=workdir,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in commands.items()
    }
    runs: dict[str, Run] = {}
    try:
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=300)
            runs[name] = Run(proc.returncode, out, err)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return runs


@pytest.fixture(scope="module")
def who_said_run(answers: dict[str, Run]) -> Run:
    return answers["who_said"]


@pytest.fixture(scope="module")
def compare_run(answers: dict[str, Run]) -> Run:
    return answers["compare"]


@pytest.fixture(scope="module")
def positions_run(answers: dict[str, Run]) -> Run:
    return answers["positions"]


@pytest.fixture(scope="module")
def batch_run(answers: dict[str, Run]) -> Run:
    return answers["batch"]


def test_who_said_json(who_said_run: Run) -> None:
    assert who_said_run.code == 0, who_said_run.stderr
    out = who_said_run.json()
    assert out["kind"] == "who_said"
    assert out["verdict"] == "found"
    assert out["quote_verdict"] == "exact"
    assert out["results"][0]["essay_id"] == MASON
    assert "no truce in the class war" in out["results"][0]["quote"]
    assert len(who_said_run.stdout.strip().splitlines()) == 1  # one JSON object, nothing else


def test_compare_json(compare_run: Run) -> None:
    assert compare_run.code == 0, compare_run.stderr
    out = compare_run.json()
    assert out["kind"] == "compare"
    assert out["a"]["resolved"] == {"kind": "author", "label": "Paul Mason", "essay_ids": [MASON]}
    assert out["b"]["resolved"]["essay_ids"] == [ICL]
    for side, essay in ((out["a"], MASON), (out["b"], ICL)):
        assert side["has_passages"]
        assert side["passages"]
        assert {p["essay_id"] for p in side["passages"]} == {essay}


def test_human_output_names_the_real_speaker_and_the_misquote(answers: dict[str, Run]) -> None:
    run = answers["human"]
    assert run.code == 0, run.stderr
    # rich draws panels and wraps lines to the terminal width: compare the words only.
    text = " ".join(re.sub("[│╭╮╰╯─]", " ", run.stdout).split())
    assert text.startswith("Found")
    assert "near quote" in text
    assert "the original says “fatal” where you wrote “deadly”" in text
    assert "Henry Kissinger, quoted by International Communist League" in text
    assert "iclfi.org/pubs/wv/1184/ukraine#:~:text=" in text


def test_positions_json(positions_run: Run) -> None:
    assert positions_run.code == 0, positions_run.stderr
    out = positions_run.json()
    assert out["kind"] == "positions"
    assert out["topic"] == "sanctions"
    authors = [p["author"] for p in out["positions"]]
    assert len(authors) == len(set(authors)) == SEED_COUNT  # one position per author
    assert any(p["passage"] is not None for p in out["positions"])


def test_batch_reports_bad_lines_and_goes_on(batch_run: Run) -> None:
    assert batch_run.code == 0, batch_run.stderr
    lines = batch_run.json_lines()
    assert len(lines) == 5
    good, bad_json, empty, bad_top, bad_author = lines
    assert good["kind"] == "who_said" and good["verdict"] == "found"
    assert good["results"][0]["essay_id"] == MASON
    assert set(bad_json) == {"schema_version", "error"}
    assert "line 2" in bad_json["error"] and "JSON" in bad_json["error"]
    assert set(empty) == {"schema_version", "error"}
    assert "empty" in empty["error"]
    # Wrongly typed fields are reported per line, never a traceback that loses the batch.
    assert "line 4" in bad_top["error"] and "'top'" in bad_top["error"]
    assert "line 5" in bad_author["error"] and "'author'" in bad_author["error"]


def test_json_outputs_validate_against_the_schema(
    who_said_run: Run, compare_run: Run, positions_run: Run, batch_run: Run
) -> None:
    answers = validator()
    for run in (who_said_run, compare_run, positions_run):
        errors = [e.message for e in answers.iter_errors(run.json())]
        assert errors == []
    good, *bad = batch_run.json_lines()
    assert not list(answers.iter_errors(good))
    batch_error = validator("batch_error")
    for line in bad:
        assert not list(batch_error.iter_errors(line))
        assert list(answers.iter_errors(line))  # an error line is not an answer


# -- user errors: one line, exit code 2, no model needed ---------------------------------------------


def test_empty_query(cli: Any, data_dir: Path) -> None:
    run = cli("who-said", "", data_dir=data_dir)
    assert_user_error(run, "empty")
    assert run.stdout == ""


def test_too_long_query(cli: Any, data_dir: Path) -> None:
    run = cli("who-said", "a" * 2001, data_dir=data_dir)
    assert_user_error(run, "2,001", "2,000")


def test_compare_unknown_side(cli: Any, data_dir: Path) -> None:
    run = cli("compare", "Smith", "Nobodyatall", "x", data_dir=data_dir)
    assert_user_error(run, "Nobodyatall")


def test_unusable_data_dir(cli: Any) -> None:
    run = cli("who-said", "hi", data_dir=Path("/proc/forbidden/x"))
    assert_user_error(run, "/proc/forbidden/x")


def test_ingest_rejects_non_utf8_file(cli: Any, data_dir: Path, workdir: Path) -> None:
    bad = workdir / "latin1.md"
    bad.write_bytes(
        '---\ntitle: "Caf\u00e9"\n---\nUn caf\u00e9 cr\u00e8me, s\u2019il vous pla\u00eet.\n'.encode("cp1252")
    )
    run = cli("ingest", str(bad), data_dir=data_dir)
    assert_user_error(run, str(bad), "UTF-8")


def test_ingest_rejects_binary_file(cli: Any, data_dir: Path, workdir: Path) -> None:
    binary = workdir / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    run = cli("ingest", str(binary), data_dir=data_dir)
    assert_user_error(run, str(binary), "binary")


def test_ingest_rejects_broken_front_matter(cli: Any, data_dir: Path, workdir: Path) -> None:
    broken = workdir / "broken.md"
    broken.write_text('---\ntitle: "Fine"\ndate: "the spring of 2022"\n---\nSome words.\n', encoding="utf-8")
    run = cli("ingest", str(broken), data_dir=data_dir)
    assert_user_error(run, str(broken), "'date'")


# -- the rest ----------------------------------------------------------------------------------------


def test_essays_json(cli: Any, data_dir: Path) -> None:
    run = cli("essays", "--json", data_dir=data_dir)
    assert run.code == 0, run.stderr
    out = run.json()
    assert out["kind"] == "essays"
    ids = sorted(e["id"] for e in out["essays"])
    assert len(ids) == SEED_COUNT
    assert MASON in ids and ICL in ids
    mason = next(e for e in out["essays"] if e["id"] == MASON)
    assert mason["authors"] == ["Paul Mason"]


def test_db_upgrade(cli: Any, data_dir: Path) -> None:
    run = cli("db", "upgrade", data_dir=data_dir)
    assert run.code == 0, run.stderr
    assert "database at revision" in run.stdout


def test_reindex_keeping_the_vectors(cli: Any, clone_seeded: Callable[[str], Path]) -> None:
    data_dir = clone_seeded("cli-reindex")
    run = cli("reindex", "--keep-vectors", data_dir=data_dir)
    assert run.code == 0, run.stderr
    # That nothing is embedded is checked on the library itself (tests/core/test_core_library.py).
    assert run.stdout.startswith("reindexed ") and "generation 2" in run.stdout


def test_help_lists_the_commands(cli: Any) -> None:
    run = cli("--help")
    assert run.code == 0
    for command in ("ingest", "who-said", "compare", "positions", "essays", "reindex", "db", "eval"):
        assert command in run.stdout, command


def test_run_without_a_token_says_how_to_set_one(cli: Any, tmp_path: Path) -> None:
    done = cli("run", data_dir=tmp_path / "fresh", timeout=60)
    assert done.code == 2
    assert "DISCORD_TOKEN" in done.stderr and "DISCORD_TOKEN_FILE" in done.stderr
    assert "Traceback" not in done.stderr


# -- terminal output: never cut ids, never pass control sequences through; logs redact tracebacks -----

ESCAPES = ("\x1b[2J", "\x1b]0;pwned title\x07", "\x1b[31m", "\x9b1m")


def test_terminal_output_strips_control_sequences_and_keeps_ids_whole(
    clone_seeded: Callable[[str], Path], workdir: Path
) -> None:
    data_dir = clone_seeded("cli-escapes")
    essay = workdir / "escapes.md"
    essay.write_text(
        '---\ntitle: "Screen \\e[2J cleared"\nauthors: [Eve Escape]\n'
        "id: an-essay-whose-id-is-long-enough-to-be-cut-at-eighty\n---\n\n"
        "The red herring \x1b[2J of the \x1b]0;pwned title\x07 sea is a "
        "\x1b[31mcurious\x1b[0m animal indeed.\n",
        encoding="utf-8",
    )
    env = {**_env(), "COLUMNS": "80"}

    def run(*args: str) -> Run:
        done = subprocess.run(
            _command(args, data_dir), cwd=workdir, env=env, capture_output=True, text=True, timeout=300
        )
        return Run(done.returncode, done.stdout, done.stderr)

    added = run("ingest", str(essay))
    assert added.code == 0, added.stderr
    listed = run("essays")
    assert listed.code == 0, listed.stderr
    for essay_id in (MASON, ICL, "an-essay-whose-id-is-long-enough-to-be-cut-at-eighty"):
        assert essay_id in listed.stdout  # whole, on one line, as --author and compare take it
    answered = run("who-said", "the red herring of the sea is a curious animal")
    assert answered.code == 0, answered.stderr
    assert "red herring" in answered.stdout and "curious" in answered.stdout
    for out in (listed.stdout, answered.stdout):
        assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out and "pwned" not in out


def test_render_strips_every_kind_of_control_sequence() -> None:
    from bot.cli.render import strip_control

    text = "a" + "b".join(ESCAPES) + "c\x00d\x7fe\tf\ng\x1b\\h\x90dcs\x1b\\i"
    assert strip_control(text) == "abbbc" + "de\tf\ngh" + "i"
    assert strip_control("plain “quoted” text") == "plain “quoted” text"


def test_token_redaction_covers_tracebacks_and_stacks() -> None:
    import io
    import logging

    from bot.logs import JsonFormatter, RedactFilter

    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123"
    for formatter in (logging.Formatter("%(message)s"), JsonFormatter()):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler.addFilter(RedactFilter(token))
        logger = logging.getLogger(f"test-redact-{type(formatter).__name__}")
        logger.addHandler(handler)
        logger.propagate = False
        try:
            try:
                raise RuntimeError(f"login failed with {token}")
            except RuntimeError:
                logger.exception("connection failed for %s", token)
            logger.error("where: %s", "here", stack_info=True, extra={"t": token})
        finally:
            logger.removeHandler(handler)
        written = stream.getvalue()
        assert "login failed with [redacted token]" in written.replace("\\n", "\n")
        assert token not in written and "RuntimeError" in written
