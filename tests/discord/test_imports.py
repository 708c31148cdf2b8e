"""Imports inside the Discord shell point one way: from the client down to the cogs, views, actions and the
per-interaction context, never back up (not even for type checking), so the shell has no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.discord

PACKAGE = Path(bot.discord.__file__).parent

# Lower numbers sit lower: a module may import its own layer and the layers below it.
LAYERS = {
    "clock": 0,
    "cooldown": 0,
    "batcher": 0,
    "service": 0,
    "records": 0,
    "replies": 0,
    "render": 0,
    "errors": 1,
    "registry": 1,
    "host": 2,
    "context": 3,
    "checks": 4,
    "actions": 5,
    "views": 6,
    "cogs": 7,
    "tree": 8,
    "client": 9,
    "runner": 10,
}


def room(module: str) -> str:
    """``bot.discord.views.base`` -> ``views``; ``bot.discord`` itself -> ``""``."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 else ""


def imports(path: Path) -> list[str]:
    """Every ``bot.discord`` module that ``path`` imports, at the top or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot.discord"):
            found += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("bot.discord")]
    return found


def test_every_room_of_the_shell_has_a_layer() -> None:
    rooms = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir() if not p.name.startswith("__")}
    assert rooms <= set(LAYERS), sorted(rooms - set(LAYERS))


def upward(module: str, path: Path) -> list[str]:
    """The imports of ``module`` (read from ``path``) that reach above its own layer."""
    here = LAYERS.get(room(module), 0)
    return [f"{module} -> {t}" for t in imports(path) if LAYERS.get(room(t), 0) > here]


def test_no_module_of_the_shell_imports_a_higher_layer() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += upward("bot." + ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts), path)
    assert found == []


def test_a_type_only_import_of_the_client_from_a_view_is_caught(tmp_path: Path) -> None:
    view = tmp_path / "view.py"
    view.write_text(
        "from typing import TYPE_CHECKING\n"
        "from bot.discord.views.base import TimedView\n"
        "if TYPE_CHECKING:\n"
        "    from bot.discord.client import EssaybotClient\n",
        encoding="utf-8",
    )
    assert upward("bot.discord.views.extra", view) == [
        "bot.discord.views.extra -> bot.discord.client.EssaybotClient"
    ]
