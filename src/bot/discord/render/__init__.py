"""Pure rendering of answers and pages into Discord embeds, within Discord's limits."""
