"""Curation by moderators, per guild: curated quotes, hidden passages, attribution overrides, settings.

Every change goes through a repository here that writes an audit entry with the values before and
after, and registers how to undo it, so every moderator action is reversible (``audit.undo``).
"""

# Importing the action modules registers their undo handlers with the audit log.
from bot.curation import essays, passages, quotes, review, settings  # noqa: F401
