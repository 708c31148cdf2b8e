"""/who-said and the "Who said this?" message command."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.checks import check_question
from bot.discord.cogs.common import answer_visibility, declare_max_length, name_choices
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render.answers import Visibility
from bot.discord.replies import defer, send
from bot.discord.views.answer import AnswerView, shown_quotes
from bot.discord.views.base import ReportingModal
from bot.errors import BadQueryError

# Two or more quoted stretches: the member should pick the one they mean.
_QUOTED = re.compile(r"“[^”]{3,}”|\"[^\"]{3,}\"|«[^»]{3,}»")
MODAL_MAX = 4000  # Discord's limit on a text input's value


class TrimModal(ReportingModal, title="Trim to the quote"):
    """Prefilled with the message text, so the member keeps only the words they want attributed."""

    def __init__(self, cog: WhoSaidCog, text: str, max_chars: int, visibility: Visibility) -> None:
        super().__init__()
        self.cog, self.visibility = cog, visibility
        limit = min(MODAL_MAX, max_chars)
        self.quote: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="The words to attribute",
            style=discord.TextStyle.paragraph,
            default=text[:limit],
            max_length=limit,
            min_length=1,
        )
        self.add_item(self.quote)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Answer with the trimmed text."""
        await self.cog.answer(
            interaction,
            self.quote.value,
            None,
            command="who_said_message",
            visibility=self.visibility,
            shareable=self.visibility == "ephemeral",
        )


class WhoSaidCog(commands.Cog):
    """Attribute a quote or a claim to an author and essay, quoting the passage."""

    def __init__(self, client: Host) -> None:
        self.client = client
        # Discord enforces the configured length while the member types (6000 is only the ceiling).
        declare_max_length(self.who_said, "query", client.settings.max_query_chars)
        self.menu = app_commands.ContextMenu(name="Who said this?", callback=self.who_said_this)
        self.menu.allowed_contexts = app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=True
        )

    async def cog_load(self) -> None:
        """Context menus cannot be declared inside a cog: add it by hand."""
        self.client.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        """Remove the context menu with the cog."""
        self.client.tree.remove_command(self.menu.name, type=self.menu.type)

    @app_commands.command(
        name="who-said", description="Who in the essays said this? Quotes the exact passage."
    )
    @app_commands.describe(
        query="A quote or a claim, e.g. “the chickens have come home to roost”",
        author="Only look in this author's (or essay's) writing",
    )
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def who_said(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 6000],
        author: str | None = None,
    ) -> None:
        """/who-said query [author]."""
        visibility = await answer_visibility(interaction)
        await self.answer(interaction, query, author, command="who_said", visibility=visibility)

    @who_said.autocomplete("author")
    async def _author_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, current)

    async def who_said_this(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Right-click a message: who said its words?"""
        cfg = await Context.of(interaction).settings()
        mine = message.author.id == interaction.user.id
        # Checking someone else's words in public would be a call-out: private unless configured.
        visibility: Visibility = cfg.answer_visibility if mine else cfg.context_menu_visibility
        text = message.content.strip()
        too_long = len(text) > self.client.settings.max_query_chars
        if not text or too_long or len(_QUOTED.findall(text)) >= 2:
            options = {"query": text[:2000], "message_id": str(message.id)}
            async with Context.of(interaction).entry("who_said_message", options) as entry:
                if not text:
                    raise BadQueryError(
                        "That message has no text to attribute: images, files and embeds cannot be searched."
                    )
                # Too long, or several quotes: let the member trim it to the words they mean.
                entry.verdict = "trim"
                modal = TrimModal(self, text, self.client.settings.max_query_chars, visibility)
                await interaction.response.send_modal(modal)
            return
        await self.answer(
            interaction,
            text,
            None,
            command="who_said_message",
            visibility=visibility,
            shareable=visibility == "ephemeral",
        )

    async def answer(
        self,
        interaction: discord.Interaction,
        raw: str,
        author: str | None,
        *,
        command: str,
        visibility: Visibility,
        shareable: bool = False,
    ) -> None:
        """Validate, acknowledge, search off the loop, then show the answer with its buttons."""
        options: dict[str, Any] = {"query": raw[:2000], "author": author}
        async with Context.of(interaction).entry(command, options) as entry:
            await check_question(interaction)
            query = self.client.service.parse(raw)  # bad input fails here, privately, before the defer
            target = (
                await self.client.service.resolve(author, guild_id=interaction.guild_id) if author else None
            )
            await defer(interaction, ephemeral=visibility == "ephemeral")
            answer = await self.client.service.answer_who_said(query, target, guild_id=interaction.guild_id)
            entry.verdict = answer.verdict
            entry.passage_ids = [q.passage_id for q in shown_quotes(answer)]
            view = AnswerView(
                self.client,
                interaction,
                interaction.user.id,
                answer,
                entry,
                visibility=visibility,
                shareable=shareable,
            )
            entry.message_id = await send(
                interaction, view.page(), ephemeral=visibility == "ephemeral", view=view
            )
            view.register(entry.message_id)
