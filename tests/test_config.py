"""Settings: precedence, the example file, the env-only token, error messages."""

from __future__ import annotations

import re
import tomllib
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import ConfigWarning, Settings, load_settings
from bot.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"
KEY_LINE = re.compile(r"^(?:#\s?)?([a-z_][a-z0-9_]*)\s*=")
SECTION_LINE = re.compile(r"^\[([a-z_]+)\]\s*$")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No stray ESSAYBOT_*/DISCORD_* variables, and a working directory without essaybot.toml."""
    import os

    for name in list(os.environ):
        if name.upper().startswith(("ESSAYBOT_", "DISCORD_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file() -> None:
    s = load_settings()
    assert s == Settings()
    assert s.top_k == 5
    assert s.data_dir == Path("data")
    assert s.discord_token is None
    assert s.resolved_database_url == "sqlite:///data/essaybot.db"


def test_precedence_all_four_levels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "essaybot.toml", "top_k = 7\nembed_batch_size = 32\nlog_level = 'DEBUG'\n")
    monkeypatch.setenv("ESSAYBOT_TOP_K", "9")
    monkeypatch.setenv("ESSAYBOT_EMBED_BATCH_SIZE", "16")
    s = load_settings(top_k=11)
    assert s.top_k == 11  # init kwarg > env > file
    assert s.embed_batch_size == 16  # env > file
    assert s.log_level == "DEBUG"  # file > default
    assert s.max_query_chars == 2000  # default
    # The same file given explicitly behaves the same; None overrides are "flag not given".
    assert load_settings(cfg, top_k=None).top_k == 9


def test_config_file_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "essaybot.toml", "top_k = 3\n")
    other = write(tmp_path / "other.toml", "top_k = 4\n")
    monkeypatch.setenv("ESSAYBOT_CONFIG", str(other))
    assert load_settings().top_k == 4
    assert load_settings(tmp_path / "essaybot.toml").top_k == 3  # the argument wins


def test_explicit_missing_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")
    monkeypatch.setenv("ESSAYBOT_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="not found"):
        load_settings()


def test_database_url_resolution(tmp_path: Path) -> None:
    assert load_settings(data_dir=tmp_path).resolved_database_url == f"sqlite:///{tmp_path}/essaybot.db"
    url = "postgresql+psycopg://bot@localhost/essaybot"
    assert load_settings(database_url=url).resolved_database_url == url
    with pytest.raises(ConfigError, match="database_url"):
        load_settings(database_url="not a url")


def test_per_guild_corpora_need_sqlite(tmp_path: Path) -> None:
    assert Settings().corpus_scope == "shared"
    assert load_settings(data_dir=tmp_path, corpus_scope="per_guild").corpus_scope == "per_guild"
    assert load_settings(corpus_scope="per_guild", database_url=f"sqlite:///{tmp_path}/x.db")
    url = "postgresql+psycopg://bot@localhost/essaybot"
    assert load_settings(database_url=url).corpus_scope == "shared"
    with pytest.raises(ConfigError, match=r"per_guild.*needs SQLite"):
        load_settings(corpus_scope="per_guild", database_url=url)
    with pytest.raises(ConfigError, match="corpus_scope"):
        load_settings(corpus_scope="per_server")


def example_keys() -> set[str]:
    """Documented keys, dotted inside [sections]."""
    keys, section = set(), ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        header = SECTION_LINE.match(line)
        if header:
            section = header.group(1) + "."
            keys.add(header.group(1))
        match = KEY_LINE.match(line)
        if match:
            keys.add(section + match.group(1))
    return keys


def model_keys() -> set[str]:
    keys = set()
    for name, field in Settings.model_fields.items():
        keys.add(name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= {f"{name}.{sub}" for sub in annotation.model_fields}
    return keys


def uncommented_example() -> str:
    return "\n".join(
        line[2:] if KEY_LINE.match(line) and line.startswith("# ") else line
        for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
    )


def test_example_documents_every_setting() -> None:
    # discord_token is env-only (DISCORD_TOKEN / DISCORD_TOKEN_FILE), so the file must not show it as a key.
    assert example_keys() == model_keys() - {"discord_token"}


def test_example_validates_as_is_and_uncommented(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_settings(EXAMPLE) == Settings()
        full = write(tmp_path / "full.toml", uncommented_example())
        s = load_settings(full)
    # Every documented value is the real default, except for the optional ones shown by example.
    documented = tomllib.loads(uncommented_example())
    for section, values in documented.items():
        if isinstance(values, dict):
            defaults = Settings.model_fields[section].get_default(call_default_factory=True).model_dump()
            for key, value in values.items():
                if defaults[key] is not None:
                    assert value == defaults[key] == getattr(getattr(s, section), key), f"{section}.{key}"
    for key, value in documented.items():
        if isinstance(value, dict):
            continue
        if Settings.model_fields[key].default is not None:
            assert getattr(s, key) == Settings.model_fields[key].default, key
            assert value == (str(getattr(s, key)) if isinstance(getattr(s, key), Path) else getattr(s, key))


def test_token_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "  abc.def.ghi\n")
    token = load_settings().discord_token
    assert token is not None and token.get_secret_value() == "abc.def.ghi"


def test_token_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = write(tmp_path / "token.txt", "file.token.value\n")
    monkeypatch.setenv("DISCORD_TOKEN_FILE", str(secret))
    token = load_settings().discord_token
    assert token is not None and token.get_secret_value() == "file.token.value"
    monkeypatch.setenv("DISCORD_TOKEN_FILE", str(tmp_path / "nope.txt"))
    with pytest.raises(ConfigError, match="DISCORD_TOKEN_FILE"):
        load_settings()
    monkeypatch.setenv("DISCORD_TOKEN_FILE", str(write(tmp_path / "empty.txt", "  \n")))
    with pytest.raises(ConfigError, match="empty"):
        load_settings()


def test_token_not_from_toml_or_prefixed_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "essaybot.toml", 'discord_token = "in.the.file"\n')
    with pytest.raises(ConfigError, match="DISCORD_TOKEN_FILE") as info:
        load_settings(cfg)
    assert "in.the.file" not in str(info.value)
    cfg.unlink()
    monkeypatch.setenv("ESSAYBOT_DISCORD_TOKEN", "prefixed")
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        load_settings()
    # Even building Settings directly never reads the prefixed variable.
    assert Settings().discord_token is None
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        load_settings(discord_token="from-a-flag")


def test_token_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "super.secret.token")
    s = load_settings()
    for text in (repr(s), str(s), s.model_dump_json(), repr(s.model_dump())):
        assert "super.secret.token" not in text


@pytest.mark.parametrize(
    ("toml", "key", "message"),
    [
        ("top_k = 30\n", "top_k", "less than or equal to 25"),
        ("embed_batch_size = 0\n", "embed_batch_size", "greater than or equal to 1"),
        ('log_format = "xml"\n', "log_format", "'text' or 'json'"),
        ('threads = "many"\n', "threads", "valid integer"),
    ],
)
def test_bad_values_name_key_and_file(tmp_path: Path, toml: str, key: str, message: str) -> None:
    write(tmp_path / "essaybot.toml", toml)
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert text.startswith(f"config error: {key}: ")
    assert message in text and "(from essaybot.toml)" in text
    assert "\n" not in text


def test_bad_env_value_names_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESSAYBOT_RETENTION_DAYS", "forever")
    with pytest.raises(ConfigError, match=r"retention_days: .*ESSAYBOT_RETENTION_DAYS"):
        load_settings()


def test_bad_override_says_command_line() -> None:
    with pytest.raises(ConfigError, match=r"^config error: top_k: .*\(from command line\)$"):
        load_settings(top_k=0)
    with pytest.raises(TypeError, match="no_such_setting"):
        load_settings(no_such_setting=1)


def test_log_level_is_case_insensitive(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path / "c.toml", 'log_level = "warning"\n')).log_level == "WARNING"


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    cfg = write(tmp_path / "essaybot.toml", "top_k = 5\n\nlog_level = \n")
    with pytest.raises(ConfigError, match=r"essaybot\.toml.*line 3"):
        load_settings(cfg)


def test_unknown_key_warns(tmp_path: Path) -> None:
    cfg = write(tmp_path / "essaybot.toml", "top_k = 6\ntop_kk = 7\n[mystery]\nx = 1\n")
    with pytest.warns(ConfigWarning) as record:
        s = load_settings(cfg)
    assert s.top_k == 6
    messages = " ".join(str(w.message) for w in record)
    assert "'top_kk'" in messages and "'mystery'" in messages


def test_settings_are_immutable() -> None:
    s = load_settings()
    with pytest.raises(ValueError):
        s.top_k = 3
