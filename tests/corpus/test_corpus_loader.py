"""Loader: front-matter validation, encodings, fallbacks and duplicate ids."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

from bot.corpus.loader import load_corpus, load_essay, parse_essay_text, slugify
from bot.corpus.models import Essay
from bot.errors import CorpusError

ORIGINAL_SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"  # ../shared of the checkout
GOOD = """\
---
id: "smith-2022-test"
title: "Stop the war!"
subtitle: "A subtitle"
authors: ["Ashley Smith", "Jo Bloggs"]
aliases: ["AS"]
publication: "Tempest"
date: "2022-03"
url: "https://example.org/a"
notes: "Editorial standfirst."
---

First paragraph. Second sentence.
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def with_field(line: str, drop: str | None = None) -> str:
    """GOOD with one field line replaced (or added) and optionally another dropped."""
    key = line.split(":", 1)[0]
    lines = [ln for ln in GOOD.splitlines(keepends=True) if not ln.startswith((f"{key}:", f"{drop}:"))]
    lines.insert(2, line + "\n")
    return "".join(lines)


def test_good_front_matter(tmp_path: Path) -> None:
    essay = load_essay(write(tmp_path, "x.md", GOOD))
    meta = essay.meta
    assert meta.id == "smith-2022-test"
    assert meta.title == "Stop the war!"
    assert meta.subtitle == "A subtitle"
    assert meta.authors == ("Ashley Smith", "Jo Bloggs")
    assert meta.aliases == ("AS",)
    assert (meta.publication, meta.date, meta.url) == ("Tempest", "2022-03", "https://example.org/a")
    assert meta.notes == "Editorial standfirst."
    # The body is everything after the closing '---' line, including the blank line.
    assert essay.body == "\nFirst paragraph. Second sentence.\n"
    assert essay.source == str(tmp_path / "x.md")


@pytest.mark.parametrize(
    ("line", "field", "fragment"),
    [
        ('id: "Bad Id"', "id", "expected a slug"),
        ('id: "-leading-dash"', "id", "expected a slug"),
        ('title: "   "', "title", "must not be empty"),
        ("title: 1984", "title", "expected a valid string"),
        ('authors: "Ashley Smith"', "authors", "expected a valid list"),
        ('authors: ["Ashley Smith", ""]', "authors", "item 2 is empty"),
        ("authors: [42]", "authors", "item 1"),
        ('aliases: ["  "]', "aliases", "item 1 is empty"),
        ('date: "2022-02-30"', "date", "not a real date"),
        ('date: "2022-13"', "date", "not a real date"),
        ('date: "March 2022"', "date", "expected YYYY-MM-DD, YYYY-MM or YYYY"),
        ('url: "ftp://example.org/x"', "url", "expected an http(s) URL"),
        ('url: "example.org"', "url", "expected an http(s) URL"),
        ('subtitle: ""', "subtitle", "must not be empty"),
        ('author: "Ashley Smith"', "author", "unknown field"),
    ],
)
def test_bad_field_names_file_and_field(tmp_path: Path, line: str, field: str, fragment: str) -> None:
    path = write(tmp_path, "x.md", with_field(line))
    with pytest.raises(CorpusError) as info:
        load_essay(path)
    message = str(info.value)
    assert message.startswith(f"{path}: front matter field '{field}': ")
    assert fragment in message
    assert "\n" not in message


def test_date_message_is_exact() -> None:
    text = with_field('date: "2022/03"')
    with pytest.raises(CorpusError) as info:
        parse_essay_text(text, source="seeds/x.md", default_id="x")
    assert str(info.value) == (
        "seeds/x.md: front matter field 'date': expected YYYY-MM-DD, YYYY-MM or YYYY, got '2022/03'"
    )


def test_missing_title() -> None:
    with pytest.raises(CorpusError, match=r"^up\.md: front matter field 'title': required field is missing$"):
        parse_essay_text(with_field('id: "x"', drop="title"), source="up.md", default_id="x")


@pytest.mark.parametrize(("line", "expected"), [("date: 2022-03-12", "2022-03-12"), ("date: 2022", "2022")])
def test_unquoted_dates_are_accepted(line: str, expected: str) -> None:
    essay, _ = parse_essay_text(with_field(line), source="x.md", default_id="x")
    assert essay.meta.date == expected


def test_missing_id_defaults_to_file_stem(tmp_path: Path) -> None:
    essay = load_essay(write(tmp_path, "My Essay.md", with_field('title: "T"', drop="id")))
    assert essay.id == "my-essay"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("---\ntitle: [unclosed\n---\nbody\n", "front matter is not valid YAML at line"),
        ("---\n- a\n- b\n---\nbody\n", "front matter must be a mapping"),
        ('---\ntitle: "T"\nbody without a closing line\n', "front matter is not closed"),
        ('---\ntitle: "T"\n---\n', "essay body is empty"),
        ('---\ntitle: "T"\n---\n  \n\n', "essay body is empty"),
        ("", "essay body is empty"),
    ],
)
def test_structural_errors(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, "x.md", text)
    with pytest.raises(CorpusError, match=rf"^{re.escape(str(path))}: .*{fragment}"):
        load_essay(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.txt", "Caf\xe9 society.\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=rf"^{re.escape(str(path))}: not UTF-8 text"):
        load_essay(path)


def test_binary(tmp_path: Path) -> None:
    path = write(tmp_path, "image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(CorpusError, match=rf"^{re.escape(str(path))}: looks like a binary file"):
        load_essay(path)
    with pytest.raises(CorpusError, match=r"^upload: looks like a binary file"):
        parse_essay_text("text\x00more", source="upload", default_id="x")


def test_bom_is_stripped(tmp_path: Path) -> None:
    essay = load_essay(write(tmp_path, "x.md", "\ufeff" + GOOD))
    assert essay.id == "smith-2022-test"
    assert not essay.body.startswith("\ufeff")
    plain = load_essay(write(tmp_path, "y.txt", "\ufeffA Title\n\nSome text here.\n"))
    assert plain.body == "A Title\n\nSome text here.\n"
    assert plain.meta.title == "A Title"


def test_crlf_front_matter() -> None:
    text = GOOD.replace("\n", "\r\n")
    essay, _ = parse_essay_text(text, source="x.md", default_id="x")
    assert essay.meta.title == "Stop the war!"
    assert essay.body == "\r\nFirst paragraph. Second sentence.\r\n"


def test_txt_fallback_title_and_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = "Skip to content\n\nQR Code\n\nOn Chess Clocks\n\nThe clock is a strange machine.\n"
    essay, warnings = parse_essay_text(text, source="up.txt", default_id="up")
    assert essay.meta.title == "On Chess Clocks"
    assert essay.meta.authors == ()
    assert essay.body == text
    assert warnings == ["up.txt: no front matter; title taken from the first line, author unknown"]
    with caplog.at_level(logging.WARNING):
        loaded = load_essay(write(tmp_path, "On_Chess Clocks!.txt", text))
    assert loaded.id == "on_chess-clocks"
    assert "no front matter" in caplog.text


@pytest.mark.skipif(not ORIGINAL_SEEDS.is_dir(), reason="raw seed dumps not available")
@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("001_9d7b8638736e08e0.txt", "To Russia Supporters"),
        ("002_4c1ccb0f63110123.txt", "Stop Putin’s war!"),
        (
            "003_940ba6b84d2c5c95.txt",
            "Solidarity With Ukraine: Resistance Movements, The Masses, and Socialism",
        ),
        ("004_e9117f1257e60890.txt", "We Say: War on War!"),
    ],
)
def test_txt_fallback_on_raw_seeds(tmp_path: Path, name: str, title: str) -> None:
    essay = load_essay(Path(shutil.copy(ORIGINAL_SEEDS / name, tmp_path / name)))
    assert essay.meta.title == title
    assert essay.id == slugify(Path(name).stem)


def test_fallback_with_nothing_left(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no text left"):
        load_essay(write(tmp_path, "x.txt", "Skip to content\n\nShare\n"))


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.md", GOOD)
    b = write(tmp_path, "b.md", GOOD)
    with pytest.raises(CorpusError) as info:
        load_corpus([a, b])
    assert str(a) in str(info.value) and str(b) in str(info.value)
    assert "smith-2022-test" in str(info.value)


def test_load_corpus_directory(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "Second Essay\n\nText.\n")
    write(tmp_path, "a.md", GOOD)
    write(tmp_path, "notes.json", "{}")
    write(tmp_path, ".hidden.md", GOOD)
    essays = load_corpus([tmp_path])
    assert [e.id for e in essays] == ["smith-2022-test", "b"]
    with pytest.raises(CorpusError, match="no such file"):
        load_corpus([tmp_path / "missing"])


def test_seeds_load(seed_essays: dict[str, Essay]) -> None:
    assert len(seed_essays) == 5
    mason = seed_essays["mason-2022-marxist-position"]
    assert mason.meta.subtitle == "It’s time for the left to break with Stalinism for good"
    assert mason.meta.date == "2022-03-12"
    icl = seed_essays["icl-2025-wv1184-ukraine"]
    assert icl.meta.aliases == ("ICL", "Spartacists", "Workers Vanguard")
    assert icl.meta.url == "https://iclfi.org/pubs/wv/1184/ukraine"
    assert seed_essays["anon-2022-solidarity-with-ukraine"].meta.authors == ()
    assert seed_essays["anon-2022-solidarity-with-ukraine"].meta.publication is None
    assert seed_essays["smith-2022-stop-putins-war"].meta.notes
    assert seed_essays["rsm-2023-war-on-war"].meta.authors == (
        "Émigré Branch of the Russian Socialist Movement",
    )


@pytest.mark.skipif(not ORIGINAL_SEEDS.is_dir(), reason="raw seed dumps not available")
def test_seed_bodies_are_the_original_bytes(seed_essays: dict[str, Essay]) -> None:
    originals = {p.read_bytes() for p in ORIGINAL_SEEDS.glob("*.txt")}
    for essay in seed_essays.values():
        assert essay.body.encode("utf-8") in originals, essay.id
