"""The allowed import directions between the packages of ``src/bot``, read from the source with ``ast``.

Every ``import`` counts: at module level, inside a function (a late import is still a dependency)
and under ``if TYPE_CHECKING:`` (a type-only import still ties the lower package to the higher one's
names, and it is how cycles hide). The layers, lowest first; a package may import its own modules
and any package of a lower layer, never one of its own layer or above:

    base        bot (the package: __version__), config, errors, logs, cpus, textnorm, paths
    corpus      essays, cleaning, passages, speakers
    search      snapshot, indexes, retrieval
    answer      who-said, compare, positions, verification, wording
    store       the database (its interaction log records answers, so it sits above answer)
    curation    moderators' rules and repositories
    ops         backup, doctor, health, heartbeat, per-server data directories
    core        Essaybot (read path), the library (write path), corpora, privacy
    evaluation  metrics, systems, tuning (they drive the core)
    shells      cli, discord (neither imports the other)
    program     bot.program: the ``essaybot`` command, CLI commands plus ``run`` (the Discord shell)
    __main__    ``python -m bot``

Why ``ops`` is below ``core``: no ops module needs the core, the core uses ``ops.guilds`` (each
server's data directory), and ``essaybot health`` (run by Docker every 30 s) must never load the
application and its embedding model. The base modules may import each other: they are leaves.

Besides the layers: only ``bot.discord`` may import the ``discord`` library, and the core (every
layer below the shells) may import neither shell.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot", "config", "errors", "logs", "cpus", "textnorm", "paths"),
    ("corpus",),
    ("search",),
    ("answer",),
    ("store",),
    ("curation",),
    ("ops",),
    ("core",),
    ("evaluation",),
    ("cli", "discord"),
    ("program",),
    ("__main__",),
)
BASE = LAYERS[0]
SHELLS = ("cli", "discord")
LAYER_OF = {unit: n for n, units in enumerate(LAYERS) for unit in units}

RULES = (
    "placed",
    "discord-library",
    "core-without-shells",
    "corpus-without-search",
    "shells-apart",
    "layers",
)


@dataclass(frozen=True)
class Violation:
    """One import that breaks ``rule``: ``where`` is ``module:line``."""

    rule: str
    where: str
    imported: str

    def __str__(self) -> str:
        return f"{self.where} imports {self.imported} [{self.rule}]"


def module_name(path: Path, src: Path) -> str:
    """``src/bot/cli/main.py`` → ``bot.cli.main``; a package's ``__init__.py`` → the package."""
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    """The room of a module: ``bot.cli.main`` → ``cli``, ``bot.config`` → ``config``, ``bot`` → ``bot``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports_of(module: str, source: str, is_package: bool) -> list[tuple[str, str, int]]:
    """Every (imported name, module named in the statement, line) in ``source``, wherever it stands.

    Relative imports are resolved. ``from bot import cli`` imports the module ``bot.cli``, so the
    imported name is what decides the room; the statement's module is what a report shows.
    """
    found: list[tuple[str, str, int]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            found += [(f"{origin}.{alias.name}", origin, node.lineno) for alias in node.names]
    return found


def _target_unit(imported: str, units: set[str]) -> str | None:
    """The ``bot`` room an import reaches, or None for a third-party or standard module."""
    parts = imported.split(".")
    if parts[0] != "bot":
        return None
    if len(parts) > 1 and parts[1] in units:
        return parts[1]
    return "bot"  # `from bot import __version__`


def check(sources: dict[str, tuple[str, bool]]) -> list[Violation]:
    """Every violation in ``sources``: module name → (source text, is it a package's ``__init__``)."""
    units = {unit_of(m) for m in sources} | set(LAYER_OF)
    found: dict[Violation, None] = {}  # ordered, and one report for `from x import a, b`
    for module, (source, is_package) in sorted(sources.items()):
        unit = unit_of(module)
        if unit not in LAYER_OF:
            found[Violation("placed", f"{module}:1", "(a package no layer names)")] = None
            continue
        layer = LAYER_OF[unit]
        for imported, named, line in imports_of(module, source, is_package):
            rule = _broken_rule(unit, layer, imported, _target_unit(imported, units))
            if rule is not None:
                found[Violation(rule, f"{module}:{line}", named)] = None
    return list(found)


def _broken_rule(unit: str, layer: int, imported: str, target: str | None) -> str | None:
    """The rule that importing ``imported`` (in room ``target``) from room ``unit`` breaks, if any."""
    if imported.split(".")[0] == "discord":
        return None if unit == "discord" else "discord-library"
    if target is None or target == unit:
        return None
    if target in SHELLS and layer < LAYER_OF["cli"]:
        return "core-without-shells"
    if unit == "corpus" and target == "search":
        return "corpus-without-search"
    if unit in SHELLS and target in SHELLS:
        return "shells-apart"
    if target not in LAYER_OF:
        return "placed"
    if LAYER_OF[target] > layer or (LAYER_OF[target] == layer and unit not in BASE):
        return "layers"
    return None


def _tree() -> dict[str, tuple[str, bool]]:
    return {
        module_name(p, SRC): (p.read_text(encoding="utf-8"), p.name == "__init__.py")
        for p in sorted((SRC / "bot").rglob("*.py"))
    }


@pytest.fixture(scope="module")
def tree_violations() -> list[Violation]:
    return check(_tree())


@pytest.mark.parametrize("rule", RULES)
def test_src_keeps_the_import_directions(rule: str, tree_violations: list[Violation]) -> None:
    broken = [str(v) for v in tree_violations if v.rule == rule]
    assert not broken, f"{len(broken)} import(s) break rule {rule!r}:\n" + "\n".join(broken)


def test_the_tree_is_read() -> None:
    """The check sees the real package: every layer's rooms exist and imports are found."""
    sources = _tree()
    assert {unit_of(m) for m in sources} >= {"corpus", "search", "answer", "store", "core", "cli", "discord"}
    main, is_package = sources["bot.cli.main"]
    assert any(named == "bot.cli.common" for _, named, _ in imports_of("bot.cli.main", main, is_package))


# A module whose only import is the one named: what the checker must say of it.
PLANTED = [
    ("bot.core.essaybot", "import discord", "discord-library"),
    ("bot.search.hybrid", "from discord import app_commands", "discord-library"),
    ("bot.cli.main", "import discord.ext.commands", "discord-library"),
    ("bot.core.essaybot", "from bot.cli.common import out", "core-without-shells"),
    ("bot.store.repo", "from bot.discord import tree", "core-without-shells"),
    ("bot.curation.audit", "from bot import discord", "core-without-shells"),
    ("bot.corpus.upload", "from bot.search.snapshot import CorpusSnapshot", "corpus-without-search"),
    ("bot.cli.main", "from bot.discord.runner import run", "shells-apart"),
    ("bot.discord.cogs.essays", "from bot.cli.render import essay_json", "shells-apart"),
    ("bot.discord.cogs.essays", "from ...cli import render", "shells-apart"),
    ("bot.evaluation.tune", "from bot.cli.eval import compare_fn", "core-without-shells"),
    ("bot.search.snapshot", "from bot.store.repo import CorpusRepository", "layers"),
    ("bot.corpus.upload", "from ..core.ingest import prepare", "layers"),
    ("bot.ops.backup", "from bot.core.library import Library", "layers"),
    ("bot.config", "from bot.store import db", "layers"),
    ("bot.ops.health", "import bot.evaluation.metrics", "layers"),
    ("bot.ops.health", "from bot.evaluation import metrics", "layers"),
    ("bot.newthing", "import json", "placed"),
]


@pytest.mark.parametrize(("module", "line", "rule"), PLANTED)
def test_a_planted_bad_import_is_caught(module: str, line: str, rule: str) -> None:
    source = f"from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    {line}\n"
    found = check({module: (source, False)})
    assert [v.rule for v in found] == [rule], found


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("bot.cli.main", "from bot.cli.common import out"),
        ("bot.cli.main", "from .common import out"),
        ("bot.discord.tree", "import discord"),
        ("bot.core.essaybot", "from bot.search.hybrid import Retriever"),
        ("bot.core.corpora", "from bot.ops.guilds import guild_settings"),
        ("bot.evaluation.systems", "from bot.core.essaybot import Essaybot"),
        ("bot.config", "from bot.errors import ConfigError"),
        ("bot.program", "from bot.discord.runner import run"),
        ("bot.__main__", "from bot.program import main"),
        ("bot.cli.main", "from bot import __version__"),
    ],
)
def test_an_allowed_import_passes(module: str, line: str) -> None:
    assert check({module: (line + "\n", False)}) == []
