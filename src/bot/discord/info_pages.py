"""The static pages: /about, /help, /privacy and the forget-me prompt."""

from __future__ import annotations

import discord

from bot import __version__
from bot.config import Settings
from bot.discord.render import Rendered

COLOUR = discord.Colour.blurple()
PRIVATE = "Only you can see this"

COMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "/who-said",
        "Who in the library said this? Quotes the exact passage.",
        "/who-said query: the chickens have come home to roost",
    ),
    (
        "/who-said … author:",
        "Only look in one author's essays; says so if someone else said it.",
        "/who-said query: NATO expansion provoked the war author: Paul Mason",
    ),
    (
        "Who said this?",
        "Right-click (or long-press) a message → Apps → Who said this?",
        "Private by default, with a Share in channel button",
    ),
    (
        "/compare",
        "Two authors or essays on one topic, side by side.",
        "/compare a: Paul Mason b: Ashley Smith topic: arming Ukraine",
    ),
    ("/positions", "Every author's best passage on a topic, one line each.", "/positions topic: sanctions"),
    ("/essays list", "The library: titles, authors, dates and links.", "/essays list"),
    ("/about", "What this bot is and what it logs.", "/about"),
    ("/privacy info", "What is logged about you and for how long.", "/privacy info"),
    ("/privacy forget-me", "Delete everything logged about you.", "/privacy forget-me"),
    ("/stats", "Moderators: questions, answers found, latency and 👎 reports.", "/stats window: 7d"),
)


def about(settings: Settings, counts: dict[str, int]) -> Rendered:
    """What the bot is, its corpus, its version, and its logging in one sentence."""
    embed = discord.Embed(
        title="essaybot",
        colour=COLOUR,
        description=(
            "I find who said something in this community's library of essays and quote the exact "
            "passage with its author, title, publication, date and link. I only quote: I never "
            "paraphrase or make up an answer, and I say so when nothing in the library says it."
        ),
    )
    embed.add_field(name="Library", value=f"{counts['essays']} essays, {counts['passages']:,} passages")
    embed.add_field(name="Version", value=__version__)
    embed.add_field(
        name="Logging",
        value=f"Questions and answers are logged for {settings.retention_days} days. See /privacy info.",
        inline=False,
    )
    embed.set_footer(text=PRIVATE)
    return Rendered(content="", embeds=[embed])


def help_page() -> Rendered:
    """Every command with one example each."""
    embed = discord.Embed(title="How to use essaybot", colour=COLOUR)
    for name, what, example in COMMANDS:
        embed.add_field(name=name, value=f"{what}\n`{example}`", inline=False)
    embed.set_footer(text=f"Answers to /who-said, /compare and /positions are public by default · {PRIVATE}")
    return Rendered(content="", embeds=[embed])


def privacy(settings: Settings) -> Rendered:
    """What is logged, for how long, and in which form."""
    who = (
        "a salted hash of your user id (not the id itself)"
        if settings.hash_user_ids
        else "your Discord user id"
    )
    embed = discord.Embed(title="What essaybot logs", colour=COLOUR)
    embed.add_field(
        name="Every command and button press",
        value=(
            f"The server and channel, {who}, the command and its options (your question's text), "
            "whether an answer was found, which passages were shown, how long it took, and any error."
        ),
        inline=False,
    )
    embed.add_field(
        name="Feedback", value="Your 👍/👎 and the reason you picked, tied to the answer.", inline=False
    )
    embed.add_field(
        name="How long", value=f"{settings.retention_days} days, then deleted automatically.", inline=False
    )
    embed.add_field(
        name="Moderators",
        value="Moderation actions and quiz scores keep the raw user id, because they must be attributable.",
        inline=False,
    )
    embed.add_field(
        name="Your rights",
        value="/privacy forget-me deletes everything logged about you, at once. Server admins can do "
        "the same with `essaybot forget-user`.",
        inline=False,
    )
    embed.set_footer(text=PRIVATE)
    return Rendered(content="", embeds=[embed])


def forget_me_prompt() -> Rendered:
    """The confirmation text for /privacy forget-me."""
    return Rendered(
        content="Delete every interaction and every piece of feedback the bot logged about you? "
        "This cannot be undone.",
        embeds=[],
    )
