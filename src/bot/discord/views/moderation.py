"""The modals and the panel that "Moderate this answer" opens (actions: ``discord.actions.moderation``)."""

from __future__ import annotations

from typing import Any

import discord

from bot.curation.answers import AnswerState, answer_state
from bot.curation.passages import PassageInfo
from bot.discord.actions.corrections import correct_for
from bot.discord.actions.moderation import (
    ROLES,
    VERDICT_CHOICES,
    attribute,
    rule_verdict,
    ruling_text,
    save_quote,
    set_hidden,
    speaker_text,
)
from bot.discord.checks import require_moderator
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render import limits
from bot.discord.render.common import NEUTRAL, Rendered, finish, footer, one_line
from bot.discord.render.markdown import escape, italic
from bot.discord.replies import NO_MENTIONS
from bot.discord.views.base import ReportingModal, TimedView


class SaveQuoteModal(ReportingModal, title="Save as a curated quote"):
    """The words to keep (a sub-span, optional), a note and tags."""

    def __init__(self, panel: ModerationPanel, info: PassageInfo) -> None:
        super().__init__()
        self.panel, self.info = panel, info
        hint = "Leave empty to keep the whole passage"
        self.start: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="First words (optional)", required=False, max_length=200, placeholder=hint
        )
        self.end: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Last words (optional)", required=False, max_length=200, placeholder=hint
        )
        self.note: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Note (optional)", style=discord.TextStyle.paragraph, required=False, max_length=1000
        )
        self.tags: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Tags, comma-separated (optional)", required=False, max_length=200
        )
        for item in (self.start, self.end, self.note, self.tags):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Save, then show the result in the panel."""
        status = await save_quote(
            interaction,
            self.info.id,
            start_words=self.start.value,
            end_words=self.end.value,
            note=self.note.value,
            tags=self.tags.value,
        )
        await self.panel.refresh(interaction, status)


class AttributionModal(ReportingModal, title="Fix the attribution"):
    """Who really speaks in the passage, and in which role."""

    def __init__(self, panel: ModerationPanel, info: PassageInfo) -> None:
        super().__init__()
        self.panel, self.info = panel, info
        self.speaker: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Speaker (e.g. Tempest editors)",
            required=False,
            max_length=200,
            default=info.speaker or None,
        )
        current = info.role or "quoted"
        options = [
            discord.SelectOption(label=text, value=v, default=v == current) for v, text in ROLES.items()
        ]
        self.role: discord.ui.Select[Any] = discord.ui.Select(options=options, required=True)
        self.add_item(self.speaker)
        self.add_item(discord.ui.Label(text="Role", component=self.role))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Apply the override, then show the result in the panel."""
        role = self.role.values[0] if self.role.values else "quoted"
        outcome = await attribute(interaction, self.info.id, self.speaker.value, role)
        await self.panel.refresh(interaction, outcome.text)


# -- the panel -------------------------------------------------------------------------------------


class ModerationPanel(TimedView):
    """Private to one moderator: the passages an answer showed, and what to do with each."""

    def __init__(
        self,
        client: Host,
        origin: discord.Interaction,
        owner_id: int,
        state: AnswerState,
        *,
        claim: str | None = None,
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.passages, self.curated, self.selected = state.passages[: limits.SELECT_OPTIONS], state.curated, 0
        # A who-said answer's folded claim, and this server's rulings on it per passage.
        self.claim, self.rulings = claim, state.rulings
        self.picker: discord.ui.Select[ModerationPanel] | None = None
        if len(self.passages) > 1:
            self.picker = discord.ui.Select(custom_id=self.custom_id("pick"), row=0)
            self.picker.callback = self.on_pick  # type: ignore[method-assign]
            self.add_item(self.picker)
        self.button("Save quote", "save", emoji="⭐", style=discord.ButtonStyle.primary, row=1)
        self.hide_button = self.button(
            "Hide passage", "hide", emoji="🙈", style=discord.ButtonStyle.danger, row=1
        )
        self.button("Fix attribution", "attribute", emoji="🗣️", row=1)
        self.button("Correct posted answers", "correct", emoji="✏️", row=1)
        self.verdict: discord.ui.Select[ModerationPanel] | None = None
        if claim:
            self.verdict = discord.ui.Select(
                custom_id=self.custom_id("verdict"),
                row=2,
                placeholder="Verdict for this question on this passage",
            )
            self.verdict.callback = self.on_verdict  # type: ignore[method-assign]
            self.add_item(self.verdict)
        self._sync()

    @property
    def info(self) -> PassageInfo:
        """The passage being moderated."""
        return self.passages[self.selected]

    def _sync(self) -> None:
        if self.picker is not None:
            self.picker.options = [
                discord.SelectOption(
                    label=limits.truncate(one_line(p.text), limits.SELECT_OPTION_LABEL, markdown=False),
                    value=p.id,
                    description=limits.truncate(
                        f"{'[hidden] ' if p.hidden else ''}{one_line(p.author_line)}, {one_line(p.title)}",
                        limits.SELECT_OPTION_DESCRIPTION,
                        markdown=False,
                    ),
                    default=i == self.selected,
                )
                for i, p in enumerate(self.passages)
            ]
        self.hide_button.label = "Unhide passage" if self.info.hidden else "Hide passage"
        if self.verdict is not None:
            current = self.rulings.get(self.info.id, "reset")
            self.verdict.options = [
                discord.SelectOption(label=limits.truncate(text, limits.SELECT_OPTION_LABEL, markdown=False),
                                     value=value, default=value == current)
                for value, text in VERDICT_CHOICES.items()
            ]  # fmt: skip

    def page(self, status: str = "") -> Rendered:
        """The selected passage with this server's decisions about it."""
        info = self.info
        lines = [
            f"> {limits.truncate(escape(one_line(info.text)), 1500)}",
            f"— {escape(one_line(info.author_line))}, {italic(one_line(info.title))}",
            "",
            f"**Hidden:** {'yes, never shown in this server' if info.hidden else 'no'}",
            f"**Speaker:** {speaker_text(info)}",
        ]
        saved = self.curated.get(info.id)
        if saved:
            lines.append("**Curated:** " + ", ".join(f"#{n}" for n in saved))
        if self.claim:
            question = limits.truncate(escape(one_line(self.claim)), 300)
            lines.append(f"**Verdict for “{question}”:** {ruling_text(self.rulings.get(info.id))}")
        embed = discord.Embed(title="Moderate this answer", description="\n".join(lines), colour=NEUTRAL)
        embed.set_footer(
            text=footer(
                f"Passage {self.selected + 1} of {len(self.passages)} · {info.id}", "Only you can see this"
            )
        )
        return finish(
            status or "Pick a passage, then an action. Every action is audited and can be undone.", [embed]
        )

    async def refresh(self, interaction: discord.Interaction, status: str) -> None:
        """Reload the passages' state and show ``status`` in the panel."""
        state = await self._load(Context.of(interaction))
        self.curated, self.rulings = state.curated, state.rulings
        self.passages = state.passages or self.passages  # an essay removed meanwhile takes its passages along
        self.selected = min(self.selected, len(self.passages) - 1)
        self._sync()
        page = self.page(status)
        await interaction.response.edit_message(
            content=page.content, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
        )

    async def _load(self, context: Context) -> AnswerState:
        ids, gid, claim = [p.id for p in self.passages], context.gid, self.claim
        return await context.db(lambda s: answer_state(s, gid, ids, claim))

    async def on_pick(self, interaction: discord.Interaction) -> None:
        """Another passage of the answer."""
        assert self.picker is not None
        chosen = self.picker.values[0] if self.picker.values else self.info.id
        self.selected = next((i for i, p in enumerate(self.passages) if p.id == chosen), 0)
        self._sync()
        page = self.page()
        await interaction.response.edit_message(
            content=page.content, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
        )

    async def on_verdict(self, interaction: discord.Interaction) -> None:
        """Rule on this question and passage, then correct the posted answers to the question."""
        assert self.verdict is not None and self.claim is not None
        choice = self.verdict.values[0] if self.verdict.values else "reset"
        outcome = await rule_verdict(interaction, self.info.id, self.claim, choice)
        if not outcome.changed:
            await self.refresh(interaction, outcome.text)
            return
        await interaction.response.defer()
        context = Context.of(interaction)
        summary = await correct_for(context, [self.info.id], claim=self.claim)
        self.rulings = (await self._load(context)).rulings
        self._sync()
        page = self.page(f"{outcome.text} {summary}")
        await interaction.edit_original_response(
            content=page.content, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
        )

    async def on_save(self, interaction: discord.Interaction) -> None:
        """Ask for the words, note and tags."""
        await require_moderator(interaction, "Saving a quote")
        await interaction.response.send_modal(SaveQuoteModal(self, self.info))

    async def on_hide(self, interaction: discord.Interaction) -> None:
        """Hide the passage (or show it again)."""
        outcome = await set_hidden(interaction, self.info.id, not self.info.hidden)
        await self.refresh(interaction, outcome.text)

    async def on_attribute(self, interaction: discord.Interaction) -> None:
        """Ask who speaks."""
        await require_moderator(interaction, "Fixing an attribution")
        await interaction.response.send_modal(AttributionModal(self, self.info))

    async def on_correct(self, interaction: discord.Interaction) -> None:
        """Edit the posted answers that showed the answer's hidden or re-attributed passages."""
        context = await require_moderator(interaction, "Correcting answers")
        changed = [p.id for p in self.passages if p.hidden or p.role is not None]
        if not changed:
            page = self.page("Nothing to correct: none of these passages is hidden or re-attributed.")
            await interaction.response.edit_message(content=page.content, embeds=page.embeds, view=self)
            return
        await interaction.response.defer()
        page = self.page(await correct_for(context, changed))
        await interaction.edit_original_response(
            content=page.content, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
        )


class CorrectView(TimedView):
    """One button under a /passages reply: correct the posted answers that showed the passage."""

    def __init__(self, client: Host, origin: discord.Interaction, owner_id: int, passage_id: str) -> None:
        super().__init__(client, origin, owner_id)
        self.passage_id = passage_id
        self.button("Correct posted answers", "correct", emoji="✏️", style=discord.ButtonStyle.primary)

    async def on_correct(self, interaction: discord.Interaction) -> None:
        """Correct, then say what was done."""
        context = await require_moderator(interaction, "Correcting answers")
        await interaction.response.defer()
        summary = await correct_for(context, [self.passage_id])
        self.stop()
        await interaction.edit_original_response(
            content=summary, embeds=[], view=None, allowed_mentions=NO_MENTIONS
        )
