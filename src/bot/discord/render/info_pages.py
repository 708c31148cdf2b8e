"""The static pages: /about, /help, /privacy and the forget-me prompt."""

from __future__ import annotations

import discord

from bot import __version__
from bot.config import Settings
from bot.discord.render.answers import Rendered

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
    (
        "/essays add · remove · restore · edit",
        "The bot's owners (and a server's moderators when it has its own library): add an essay "
        "(.md or .txt, previewed), remove or restore one, fix its details.",
        "/essays add file: essay.md",
    ),
    ("/quiz start", "Guess who said a curated quote; one guess per member.", "/quiz start players: 3"),
    ("/quiz leaderboard", "Who guessed right most often in this server.", "/quiz leaderboard"),
    ("/about", "What this bot is and what it logs.", "/about"),
    ("/privacy info", "What is logged about you and for how long.", "/privacy info"),
    ("/privacy forget-me", "Delete everything logged about you.", "/privacy forget-me"),
    ("/stats", "Moderators: questions, answers found, latency and 👎 reports.", "/stats window: 7d"),
    ("/review", "Moderators: passages reported with 👎; hide, fix attribution or dismiss.", "/review"),
    (
        "Moderate this answer",
        "Moderators: right-click one of my answers → Apps: save a quote, hide, fix attribution, correct.",
        "A private panel on the passages that answer showed",
    ),
    (
        "/quotes save",
        "Moderators: save a passage (or some words of it) as a curated quote.",
        "/quotes save passage: chickens",
    ),
    ("/quotes list", "Moderators: the curated quotes, by author or tag.", "/quotes list tag: sanctions"),
    (
        "/quotes remove · export · import",
        "Moderators: remove, or move curated quotes as CSV/JSON.",
        "/quotes export",
    ),
    (
        "/passages hide · unhide",
        "Moderators: keep a junk passage out of answers.",
        "/passages hide passage: Skip to content",
    ),
    (
        "/passages attribute",
        "Moderators: say who really speaks in a passage.",
        "/passages attribute passage: … speaker: Tempest editors role: Editors' introduction",
    ),
    ("/audit show", "Moderators: who changed what in the curation, newest first.", "/audit show"),
    ("/audit undo", "Moderators: revert one audit entry.", "/audit undo entry: 12"),
    (
        "/settings show · /settings set",
        "Manage Server: moderator roles, answer channels, visibility, cooldown, mod-log, quote of the day.",
        "/settings set answer_visibility: ephemeral",
    ),
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
        value="Moderation actions and quiz guesses keep the raw user id, because they must be attributable. "
        "Moderators reviewing 👎 reports see the question of a reported answer, not who asked it.",
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
