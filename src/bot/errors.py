"""User-facing error types.

Every error a user can cause is an ``EssaybotError``: the CLI prints its message on one line and exits
with code 2; the Discord layer turns it into a short ephemeral reply. Anything else is a bug.
"""

from __future__ import annotations


class EssaybotError(Exception):
    """An error whose message is safe and useful to show to the user as it is."""

    exit_code = 2


class BadQueryError(EssaybotError):
    """The query is empty, too long or otherwise unusable."""


class CorpusError(EssaybotError):
    """An essay file cannot be loaded: not UTF-8, binary, broken front matter, duplicate id."""


class ConfigError(EssaybotError):
    """The configuration file or environment is invalid."""


class UnknownSideError(EssaybotError):
    """A compare side matches no author, alias, essay id or title."""


class AmbiguousSideError(EssaybotError):
    """A compare side matches several authors or essays; the message lists them."""


class DataDirError(EssaybotError):
    """The data directory is missing and cannot be created, or is not writable."""


class StoreError(EssaybotError):
    """The database is locked, corrupt or not migrated."""
