"""Moderator actions taken from Discord: moderation, corrections of posted answers, the mod log."""
