"""Where bundled resources live, in a source checkout and in an installed wheel alike."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
_BUNDLED = _PKG / "_bundled"
_REPO = _PKG.parent.parent  # src/bot -> repository root (source checkouts and editable installs)


def _resource(name: str) -> Path:
    # A built wheel carries copies under bot/_bundled; a checkout uses the top-level folder.
    for candidate in (_BUNDLED / name, _REPO / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled resource folder {name!r} not found")


def seeds_dir() -> Path:
    """The bundled seed essays."""
    return _resource("seeds")


def migrations_dir() -> Path:
    """The Alembic migrations folder."""
    return _resource("migrations")


def package_data(name: str) -> Path:
    """A data file shipped inside the package (schemas, calibration)."""
    return _PKG / "data" / name
