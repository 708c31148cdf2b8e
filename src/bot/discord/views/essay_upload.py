"""The steps of ``/essays add`` after the file is read: the details form, the preview, Confirm or Cancel.

Nothing is stored before the owner presses Confirm on the preview, which shows what ingest would keep:
the metadata, the passage count, what the cleaner removed, and the quoted speakers and reported views
the speaker detector found. ``SlowConfirmView`` also serves ``/essays remove``: its buttons go at once,
then the action (which publishes a new index generation) runs and the message says how it went.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.corpus.models import Essay
from bot.corpus.upload import Preview, Upload, split_authors, with_metadata
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render.answers import Rendered
from bot.discord.render.common import NEUTRAL, finish, human_date, one_line
from bot.discord.render.limits import CONTENT, EMBED_TITLE, FIELD_VALUE, truncate
from bot.discord.render.markdown import escape, link
from bot.discord.replies import NO_MENTIONS, defer, send
from bot.discord.views.base import ReportingModal, TimedView

Action = Callable[[discord.Interaction], Awaitable[str]]
# Called with the interaction that confirmed and the preview; returns the message to show.
AddAction = Callable[[discord.Interaction, Preview], Awaitable[str]]
MAX_LISTED = 6  # removed pieces, speakers or reported views listed in a preview field
_LABELS = {"title": "title", "authors": "authors", "date": "date", "url": "URL"}


class SlowConfirmView(TimedView):
    """Confirm or Cancel an action that may outlast Discord's 3 seconds (private to its owner)."""

    def __init__(
        self,
        client: Host,
        origin: discord.Interaction,
        owner_id: int,
        action: Action,
        *,
        confirm_label: str,
        working: str,
        cancelled: str,
        style: discord.ButtonStyle = discord.ButtonStyle.danger,
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.action, self.working, self.cancelled = action, working, cancelled
        self.button(confirm_label, "confirm", style=style)
        self.button("Cancel", "cancel")

    async def on_confirm(self, interaction: discord.Interaction) -> None:
        """Remove the buttons at once (no second press), run the action, then say what happened."""
        self.stop()
        await interaction.response.edit_message(content=self.working, view=None, allowed_mentions=NO_MENTIONS)
        try:
            text = await self.action(interaction)
        except Exception:
            await interaction.edit_original_response(
                content="Nothing was changed.", allowed_mentions=NO_MENTIONS
            )
            raise  # the reason follows privately, from the error handler
        await interaction.edit_original_response(
            content=truncate(text, CONTENT), allowed_mentions=NO_MENTIONS
        )

    async def on_cancel(self, interaction: discord.Interaction) -> None:
        """Do nothing."""
        self.stop()
        await interaction.response.edit_message(
            content=self.cancelled, embeds=[], view=None, allowed_mentions=NO_MENTIONS
        )


class EssayDetailsModal(ReportingModal, title="Essay details"):
    """Asks for what the file lacks: the title (prefilled with the guess), authors, date, URL.

    Only the missing fields are asked for, so what the front matter says is never retyped or cut.
    """

    def __init__(self, client: Host, upload: Upload, add: AddAction) -> None:
        super().__init__(custom_id="essay-details")
        self.client, self.upload, self.add = client, upload, add
        self.inputs: dict[str, discord.ui.TextInput[Any]] = {}
        guess = upload.essay.meta.title
        specs: dict[str, dict[str, Any]] = {
            "title": {"label": "Title", "default": guess[:300], "max_length": 300, "min_length": 1},
            "authors": {"label": "Authors (comma-separated; empty: unsigned)", "max_length": 400},
            "date": {
                "label": "Date (YYYY-MM-DD, YYYY-MM or YYYY)",
                "max_length": 10,
                "placeholder": "2024-05-14",
            },
            "url": {"label": "Link to the original", "max_length": 500, "placeholder": "https://…"},
        }
        for name in upload.missing:
            spec = specs[name]
            self.inputs[name] = discord.ui.TextInput(custom_id=name, required=name == "title", **spec)
            self.add_item(self.inputs[name])

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Apply the details (validated like front matter), then show the preview."""
        async with Context.of(interaction).entry("essays_add_details", {}):
            await defer(interaction, ephemeral=True)
            typed = {name: field.value.strip() for name, field in self.inputs.items()}
            changes: dict[str, Any] = {name: value or None for name, value in typed.items()}
            if "authors" in typed:
                changes["authors"] = split_authors(typed["authors"])
            essay = await self.client.service.run(with_metadata, self.upload.essay, changes)
            await show_preview(self.client, interaction, essay, self.upload.warnings, self.add)


class DetailsPromptView(TimedView):
    """When reading the file took too long to answer with the form directly: a button opens it."""

    def __init__(self, client: Host, origin: discord.Interaction, upload: Upload, add: AddAction) -> None:
        super().__init__(client, origin, origin.user.id)
        self.upload, self.add = upload, add
        self.button("Fill in the details", "details", style=discord.ButtonStyle.primary)
        self.button("Cancel", "cancel")

    async def on_details(self, interaction: discord.Interaction) -> None:
        """Open the form."""
        self.stop()
        await interaction.response.send_modal(EssayDetailsModal(self.client, self.upload, self.add))

    async def on_cancel(self, interaction: discord.Interaction) -> None:
        """Drop the upload."""
        self.stop()
        await interaction.response.edit_message(content="Cancelled: nothing was added.", view=None)


async def ask_or_preview(
    client: Host, interaction: discord.Interaction, upload: Upload, add: AddAction
) -> str:
    """The next step for a valid file: the form when details are missing, else the preview."""
    if not upload.missing:
        await defer_if_needed(interaction)
        await show_preview(client, interaction, upload.essay, upload.warnings, add)
        return "preview"
    if not interaction.response.is_done():
        await interaction.response.send_modal(EssayDetailsModal(client, upload, add))
        return "form"
    view = DetailsPromptView(client, interaction, upload, add)
    missing = ", ".join(_LABELS[m] for m in upload.missing)
    text = f"**{escape(upload.essay.source)}** has no {missing}. Fill them in before the preview."
    await send(interaction, Rendered(text, []), ephemeral=True, view=view)
    view.register()
    return "form-button"


async def defer_if_needed(interaction: discord.Interaction) -> None:
    """A private "thinking…" unless the interaction was already answered."""
    if not interaction.response.is_done():
        await defer(interaction, ephemeral=True)


async def show_preview(
    client: Host,
    interaction: discord.Interaction,
    essay: Essay,
    warnings: tuple[str, ...],
    add: AddAction,
) -> None:
    """Prepare the essay off the event loop and show what would be stored, with Confirm and Cancel."""
    context = Context.of(interaction)
    result = await context.run((await context.app()).library.preview_essay, essay, warnings)

    async def confirm(press: discord.Interaction) -> str:
        return await add(press, result)

    view = SlowConfirmView(
        client,
        interaction,
        interaction.user.id,
        confirm,
        confirm_label="Add to the library",
        working=f"⏳ Adding **{escape(one_line(essay.meta.title))}**: embedding {result.passages} passages…",
        cancelled="Cancelled: nothing was added.",
        style=discord.ButtonStyle.success,
    )
    await send(interaction, preview_page(result), ephemeral=True, view=view)
    view.register()


def preview_page(p: Preview) -> Rendered:
    """The preview: metadata, passages, what the cleaner removed, speakers and reported views."""
    meta = p.essay.meta
    details = [f"`{meta.id}`", escape(one_line(meta.author_line))]
    details += [escape(one_line(x)) for x in (meta.publication, human_date(meta.date)) if x]
    source = link("original", meta.url) if meta.url else "no link"
    embed = discord.Embed(
        title=truncate(f"Preview: {escape(one_line(meta.title))}", EMBED_TITLE),
        description=" · ".join([*details, source]),
        colour=NEUTRAL,
    )
    embed.add_field(
        name="Passages",
        value=f"{p.passages} sentences in {p.paragraphs} paragraphs can be quoted.",
        inline=False,
    )
    removed = [f"{escape(reason)}: “{escape(text)}”" for reason, text in p.removed]
    head = f"{len(p.removed)} pieces, {p.removed_chars:,} characters" if p.removed else "Nothing."
    embed.add_field(name="Removed by the cleaner", value=_listing(head, removed), inline=False)
    speakers = [f"{escape(name)}" + (f" ×{n}" if n > 1 else "") for name, n in p.speakers]
    embed.add_field(
        name="Quoted speakers", value=_listing("" if speakers else "None found.", speakers), inline=False
    )
    views = [f"{escape(who)}: “{escape(text)}”" for who, text in p.reported]
    embed.add_field(
        name="Reported views and introductions",
        value=_listing("" if views else "None found.", views),
        inline=False,
    )
    if p.warnings:
        embed.add_field(name="Warnings", value=_listing("", [escape(w) for w in p.warnings]), inline=False)
    embed.set_footer(text="Nothing is stored until you press “Add to the library”. Only you can see this.")
    return finish("Check the preview, then add the essay or cancel.", [embed])


def _listing(head: str, items: list[str]) -> str:
    lines = [head] if head else []
    lines += [f"• {item}" for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        lines.append(f"… and {len(items) - MAX_LISTED} more")
    return truncate("\n".join(lines), FIELD_VALUE)
