"""The data-directory layout: one place names every path, and the names never change."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.paths import DataDir, checked_guild_id


def test_the_layout_is_the_one_earlier_versions_and_backups_use(tmp_path: Path) -> None:
    data = DataDir(tmp_path)
    relative = {
        name: getattr(data, name).relative_to(tmp_path).as_posix()
        for name in (
            "database",
            "index",
            "index_build",
            "salt",
            "heartbeat",
            "sync_state",
            "backups",
            "guilds",
        )
    }
    assert relative == {
        "database": "essaybot.db",
        "index": "index",
        "index_build": "index/BUILDING.json",
        "salt": "user-id-salt",
        "heartbeat": "heartbeat",
        "sync_state": "command-sync.json",
        "backups": "backups",
        "guilds": "guilds",
    }
    assert data.guild(42).index == tmp_path / "guilds" / "42" / "index"
    assert data.database_url == f"sqlite:///{(tmp_path / 'essaybot.db').as_posix()}"
    assert load_settings(None, data_dir=tmp_path).resolved_database_url == data.database_url


@pytest.mark.parametrize("bad", ["..", "../../etc", "12a", "", "٣"])
def test_only_a_guild_id_names_a_server_folder(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="not a guild id"):
        DataDir(tmp_path).guild(bad)
    assert checked_guild_id(123) == "123"


def test_servers_on_disk_in_id_order(tmp_path: Path) -> None:
    data = DataDir(tmp_path)
    assert data.guild_ids() == [] and data.guild_dirs() == []
    for gid in ("20", "100", "3"):
        data.guild(gid).root.mkdir(parents=True)
    for gid in ("20", "3"):
        data.guild(gid).database.touch()
    (data.guilds / "stray").mkdir()
    (data.guilds / "7").write_text("a file, not a folder")
    assert data.guild_ids() == ["20", "3"]  # with a database, by name as earlier versions sorted
    assert data.guild_ids(with_database=False) == ["100", "20", "3"]
    assert [g.root.name for g in data.guild_dirs()] == ["20", "3"]
