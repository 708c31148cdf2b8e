"""Checks on uploads: file type, size, UTF-8 text, front matter, form metadata, duplicates, preview."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.corpus.loader import human_size
from bot.corpus.models import Essay, EssayMeta
from bot.corpus.prepare import prepare
from bot.corpus.upload import (
    Upload,
    check_file,
    check_new,
    parse_changes,
    preview,
    read_upload,
    split_authors,
    with_metadata,
)
from bot.errors import CorpusError
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.repo import CorpusRepository

ESSAY_FILE = Path(__file__).resolve().parents[1] / "data" / "upload_essay.md"
LIMIT = 1 << 20
PLAIN = b"Tides of the tenants' union\n\nThe landlord can evict a family but cannot evict a staircase.\n"


def read(data: bytes, name: str = "essay.md", limit: int = LIMIT) -> Upload:
    return read_upload(data, name, max_bytes=limit)


def test_a_good_markdown_file() -> None:
    upload = read(ESSAY_FILE.read_bytes(), "lighthouse.md")
    meta = upload.essay.meta
    assert meta.id == "okafor-2024-lighthouse-keepers" and meta.authors == ("Amara Okafor",)
    assert upload.front_matter and upload.missing == () and upload.warnings == ()
    assert upload.essay.body.startswith("# The lighthouse keepers")


def test_plain_text_gets_a_guessed_title_and_asks_for_the_rest() -> None:
    upload = read(b"\xef\xbb\xbf" + PLAIN, "Tenants' Union!.TXT")
    assert upload.essay.id == "tenants-union"  # a clean id from the file name
    assert upload.essay.meta.title == "Tides of the tenants' union"
    assert not upload.front_matter and upload.missing == ("title", "authors", "date", "url")
    assert "no front matter" in upload.warnings[0]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (
            "latin1.txt",
            "Caf\u00e9 cr\u00e8me.".encode("latin-1"),
            "not UTF-8 text (invalid byte 0xe9 at offset 3)",
        ),
        ("empty.md", b"", "empty"),
        ("blank.txt", b"\xef\xbb\xbf \n\t\n", "empty"),
        ("only-front-matter.md", b'---\ntitle: "T"\n---\n\n', "body is empty"),
        ("big.txt", b"x" * (LIMIT + 1), "1 MB is over the 1 MB limit"),
        ("broken.md", b'---\ntitle: "Fine"\ndate: "the spring of 2022"\n---\nWords.\n', "field 'date'"),
        ("yaml.md", b"---\ntitle: [unclosed\n---\nWords.\n", "not valid YAML"),
        ("open.md", b'---\ntitle: "Fine"\nWords.\n', "not closed"),
        ("extra.md", b'---\ntitle: "T"\nsummary: "x"\n---\nWords.\n', "unknown field"),
        ("slug.md", b'---\nid: "Not A Slug"\ntitle: "T"\n---\nWords.\n', "field 'id'"),
        ("!!!.txt", b"Words here.\n", "cannot derive a valid essay id"),
        ("essay.pdf", b"%PDF-1.7", "not an essay file"),
        ("essay", b"Words here.\n", "not an essay file"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(name: str, data: bytes, expected: str) -> None:
    with pytest.raises(CorpusError, match=None) as caught:
        read(data, name)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(name)  # it says which file
    assert "\n" not in str(caught.value)


def test_size_is_checked_before_download() -> None:
    check_file("essay.md", LIMIT, max_bytes=LIMIT)
    with pytest.raises(CorpusError, match="over the"):
        check_file("essay.md", LIMIT + 1, max_bytes=LIMIT)
    assert (human_size(LIMIT), human_size(1_100_000), human_size(2048), human_size(10)) == (
        "1 MB",
        "1.05 MB",
        "2 KB",
        "10 bytes",
    )


def test_form_metadata_is_validated_like_front_matter() -> None:
    essay = read(PLAIN, "tenants.txt").essay
    changed = with_metadata(
        essay,
        {"title": 'A "title": ---', "authors": ["Lena Ortiz"], "date": "2023-11", "url": "https://x.org/a"},
    )
    assert changed.body == essay.body and changed.id == essay.id
    assert changed.meta.title == 'A "title": ---' and changed.meta.authors == ("Lena Ortiz",)
    assert with_metadata(changed, {"url": None, "authors": []}).meta.url is None
    for bad, message in (
        ({"date": "autumn"}, "field 'date'"),
        ({"date": "2023-02-30"}, "not a real date"),
        ({"url": "ftp://x.org"}, "field 'url'"),
        ({"title": "  "}, "field 'title'"),
        ({"notes": "x"}, "cannot edit notes"),
    ):
        with pytest.raises(CorpusError, match=message):
            with_metadata(essay, bad)


def test_typed_changes() -> None:
    assert split_authors("Dan La Botz, Stephen Shalom") == ["Dan La Botz", "Stephen Shalom"]
    assert split_authors("Smith, John; Doe, Jane") == ["Smith, John", "Doe, Jane"]
    assert split_authors(" \n ") == []
    assert parse_changes({"title": " New ", "authors": "-", "url": "-", "date": None}) == {
        "title": "New",
        "authors": [],
        "url": None,
    }
    with pytest.raises(CorpusError, match="needs a title"):
        parse_changes({"title": "-"})
    with pytest.raises(CorpusError, match="at least one"):
        parse_changes({"title": None})


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_duplicates_and_taken_ids_are_refused(engine: Engine) -> None:
    stored = read(ESSAY_FILE.read_bytes()).essay
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        check_new(stored, repo)  # nothing stored yet
        prepared = prepare(stored)
        repo.save_essay(stored, prepared.passages, prepared.spans)
    same_text = Essay(meta=EssayMeta(id="another-id", title="Copy"), body=stored.body)
    same_id = Essay(meta=stored.meta, body=stored.body + "\nAnd one more sentence.\n")
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        with pytest.raises(
            CorpusError, match="already has this text, as essay 'okafor-2024-lighthouse-keepers'"
        ):
            check_new(same_text, repo)
        with pytest.raises(CorpusError, match="already in the library"):
            check_new(same_id, repo)
        repo.remove_essay(stored.id)
        with pytest.raises(CorpusError, match="removed earlier: restore it instead"):
            check_new(same_text, repo)
        with pytest.raises(CorpusError, match="belongs to a removed essay"):
            check_new(same_id, repo)


def test_preview_shows_what_would_be_stored() -> None:
    upload = read(ESSAY_FILE.read_bytes())
    shown = preview(upload.essay)
    assert shown.passages == 11 and shown.paragraphs == 6
    assert shown.speakers == (("Rosa Delgado", 1),)
    assert [who for who, _ in shown.reported] == ["some commentators"]
    assert shown.removed == ()
    cluttered = read(
        b"Home | About | Donate\n\nTides of the tenants' union\n\n5 min read\n\n"
        b"The landlord can evict a family but cannot evict a staircase.\n",
        "tenants.txt",
    )
    tidy = preview(cluttered.essay, cluttered.warnings)
    assert tidy.removed and tidy.removed_chars > 0 and tidy.warnings == cluttered.warnings
    assert any("min read" in text for _, text in tidy.removed)


def test_preview_refuses_an_essay_with_nothing_to_quote() -> None:
    upload = read(b'---\ntitle: "Home"\n---\nHome | About | Donate\n', "nav.md")
    with pytest.raises(CorpusError, match="no sentence is left"):
        preview(upload.essay)


def test_an_uploaded_alias_bomb_is_refused_with_a_short_message() -> None:
    # Uploads share the loader's front matter rules: a few hundred bytes must not expand to gigabytes.
    bomb = "---\na: &a [" + ",".join(['"lol"'] * 9) + "]\n"
    for name, prev in zip("bcdef", "abcde", strict=True):
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    bomb += "title: *f\n---\nA body. With sentences.\n"
    with pytest.raises(CorpusError) as info:
        read_upload(bomb.encode(), "bomb.md", max_bytes=LIMIT)
    assert (
        str(info.value)
        == "bomb.md: front matter is not valid YAML at line 2: anchors and aliases (& and *) are not allowed"
    )
