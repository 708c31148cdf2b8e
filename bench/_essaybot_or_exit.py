"""Imported first by every bench script: under an interpreter without essaybot (not the project's
.venv), one clear line naming the interpreter to use, instead of a traceback from the next import."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import bot  # noqa: F401
except ModuleNotFoundError:
    _script = Path(sys.argv[0]).name
    sys.exit(
        f"bench/{_script} needs essaybot, which {sys.executable} does not have: "
        f"run .venv/bin/python bench/{_script} (bash scripts/setup.sh creates .venv)"
    )
