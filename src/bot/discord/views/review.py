"""The review queue panel (hide, fix attribution, dismiss), and the mod-log notice on repeated 👎.

The panel is private to the moderator who opened it and shows one reported passage at a time; every
button re-checks that the presser is still a moderator, since roles can change while it is open.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from sqlalchemy.orm import Session

from bot.curation.passages import PassageOverrides
from bot.curation.review import NO_REASON, ReviewItem, ReviewQueue, VerdictReport, by_reason
from bot.discord.actions import modlog
from bot.discord.render.answers import Rendered
from bot.discord.render.common import NEUTRAL, one_line, user_text
from bot.discord.render.limits import (
    CONTENT,
    EMBED_DESCRIPTION,
    FIELD_NAME,
    FIELD_VALUE,
    fit_embeds,
    truncate,
)
from bot.discord.render.markdown import escape
from bot.discord.replies import NO_MENTIONS
from bot.discord.tree import NotModerator
from bot.discord.views.base import TimedView, is_moderator
from bot.store.db import session_scope
from bot.store.models import SPEAKER_ROLES

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

log = logging.getLogger(__name__)
T = TypeVar("T")

PASSAGE_CHARS = 1500
CLEAR_ROLE = "clear"
ROLE_LABELS = {
    "own": "The essay's own authors",
    "quoted": "Quoted: the speaker below",
    "reported view": "A view the authors report or reject",
    "editors' introduction": "Editors' introduction: the speaker below",
    CLEAR_ROLE: "Remove the fix: the detector decides",
}


def reason_label(reason: str) -> str:
    """The label members picked the reason with."""
    from bot.discord.views.feedback import REASONS  # the feedback view imports this module

    return REASONS[reason][0] if reason in REASONS else "No reason given" if reason == NO_REASON else reason


def reasons_text(item: ReviewItem) -> str:
    """``Wrong author ×2 · Misquote ×1``."""
    return " · ".join(f"{reason_label(r)} ×{n}" for r, n in item.reasons)


def excerpt(item: ReviewItem, limit: int = 200) -> str:
    """The passage's opening words, escaped, in typographic quotes."""
    return f"“{truncate(escape(one_line(item.text)), limit)}”"


def source(item: ReviewItem) -> str:
    """Essay title and authors, escaped."""
    authors = ", ".join(item.authors) or "unknown author"
    return f"**{escape(one_line(item.title))}** by {escape(authors)}"


def item_embed(item: ReviewItem, index: int, total: int) -> discord.Embed:
    """One reported passage: its text, essay, reports by reason, and the questions it answered."""
    embed = discord.Embed(
        title=f"{item.reports} 👎 · {reason_label(item.main_reason)}",
        description=truncate(escape(item.text), min(PASSAGE_CHARS, EMBED_DESCRIPTION)),
        colour=NEUTRAL,
    )
    embed.add_field(name="Essay", value=truncate(source(item), FIELD_VALUE), inline=False)
    embed.add_field(name="Reports by reason", value=truncate(reasons_text(item), FIELD_VALUE), inline=False)
    if item.questions:
        asked = "\n".join(user_text(q, 150) for q in item.questions)
        embed.add_field(name="Reported answers to", value=truncate(asked, FIELD_VALUE), inline=False)
    if item.override is not None:
        speaker, role = item.override
        fixed = f"{escape(speaker)} ({role})" if speaker else role
        embed.add_field(name="Attribution fixed", value=truncate(fixed, FIELD_VALUE), inline=False)
    embed.add_field(name="Last report", value=f"<t:{int(item.last_report_at.timestamp())}:R>")
    embed.set_footer(text=f"Passage {item.passage_id} · {index + 1} of {total}")
    return embed


VERDICT_QUESTIONS = 10  # questions listed in the verdict reports embed


def verdicts_embed(reports: list[VerdictReport]) -> discord.Embed:
    """Reports about the verdict itself, one field per question, most reported first."""
    total = sum(r.reports for r in reports)
    embed = discord.Embed(
        title=f"Verdict reports: {len(reports)} question{'s' if len(reports) != 1 else ''}, {total} 👎",
        description=(
            "Members say an essay does say what was asked, or that the passage shown does not say it. "
            "Right-click the answer → Apps → Moderate this answer to rule on the question."
        ),
        colour=NEUTRAL,
    )
    for report in reports[:VERDICT_QUESTIONS]:
        lines = [" · ".join(f"{reason_label(r)} ×{n}" for r, n in report.reasons)]
        lines += [f"Which: {user_text(w, 150)}" for w in report.which]
        if report.passage_ids:
            lines.append("Passages shown: " + ", ".join(f"`{p}`" for p in report.passage_ids[:5]))
        lines.append(f"Last report <t:{int(report.last_report_at.timestamp())}:R>")
        embed.add_field(
            name=truncate(f"{report.reports} 👎 · {escape(one_line(report.question))}", FIELD_NAME),
            value=truncate("\n".join(lines), FIELD_VALUE),
            inline=False,
        )
    if len(reports) > VERDICT_QUESTIONS:
        embed.set_footer(text=f"{len(reports) - VERDICT_QUESTIONS} more questions not shown")
    return embed


def queue_page(
    items: list[ReviewItem], index: int, status: str = "", verdicts: list[VerdictReport] | None = None
) -> Rendered:
    """The panel: a summary of the queue by reason, the passage at ``index``, then verdict reports."""
    lead = f"{status}\n" if status else ""
    extra = [verdicts_embed(verdicts)] if verdicts else []
    if not items:
        text = "Nothing to review: no passage has open 👎 reports."
        if verdicts:
            text = "No passage has open 👎 reports; members reported the verdict of these questions."
        return Rendered(truncate(lead + text, CONTENT), fit_embeds(extra))
    summary = ", ".join(f"{reason_label(r).lower()} {n}" for r, n in by_reason(items))
    reports = sum(i.reports for i in items)
    head = (
        f"**Review queue**: {len(items)} passage{'s' if len(items) != 1 else ''}, "
        f"{reports} open 👎 report{'s' if reports != 1 else ''} ({summary}). Most reported first."
    )
    return Rendered(
        truncate(lead + head, CONTENT), fit_embeds([item_embed(items[index], index, len(items)), *extra])
    )


async def load_queue(
    client: EssaybotClient, guild_id: int, passage_id: str | None = None
) -> list[ReviewItem]:
    """The guild's review queue (or only ``passage_id``'s entry), read on a worker thread."""
    engine, gid = (await client.app_for(guild_id)).engine, str(guild_id)

    def load() -> list[ReviewItem]:
        with session_scope(engine) as session:
            return ReviewQueue(session, gid).items(passage_id)

    return await client.service.run(load)


async def load_verdict_reports(client: EssaybotClient, guild_id: int) -> list[VerdictReport]:
    """The guild's reports about verdicts, grouped by question, read on a worker thread."""
    engine, gid = (await client.app_for(guild_id)).engine, str(guild_id)

    def load() -> list[VerdictReport]:
        with session_scope(engine) as session:
            return ReviewQueue(session, gid).verdict_reports()

    return await client.service.run(load)


class ReviewView(TimedView):
    """Previous/Next through the queue; Hide, Fix attribution and Dismiss on the passage shown."""

    def __init__(
        self,
        client: EssaybotClient,
        origin: discord.Interaction,
        owner_id: int,
        guild_id: int,
        items: list[ReviewItem],
        verdicts: list[VerdictReport] | None = None,
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.guild_id, self.items, self.index = guild_id, items, 0
        self.verdicts = list(verdicts or [])
        self.prev = self.button("Previous", "prev", emoji="◀️")
        self.next = self.button("Next", "next", emoji="▶️")
        self.hide = self.button("Hide passage", "hide", emoji="🙈", style=discord.ButtonStyle.danger, row=1)
        self.fix = self.button("Fix attribution", "fix", emoji="✏️", style=discord.ButtonStyle.primary, row=1)
        self.dismiss = self.button("Dismiss", "dismiss", emoji="✅", row=1)
        self._sync()

    @property
    def item(self) -> ReviewItem | None:
        """The passage shown."""
        return self.items[self.index] if self.items else None

    def _sync(self) -> None:
        self.index = max(0, min(self.index, len(self.items) - 1))
        self.prev.disabled = self.index <= 0
        self.next.disabled = self.index >= len(self.items) - 1
        for button in (self.hide, self.fix, self.dismiss):
            button.disabled = not self.items

    def page(self, status: str = "") -> Rendered:
        """The panel as it stands."""
        return queue_page(self.items, self.index, status, self.verdicts)

    async def show(self, interaction: discord.Interaction, status: str = "") -> None:
        """Redraw the panel in place (a button press or a modal submitted from it)."""
        self._sync()
        page = self.page(status)
        await interaction.response.edit_message(
            content=page.content, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
        )

    async def reload(self) -> None:
        """Fetch the queue again, staying on the same passage when it is still there."""
        current = self.item.passage_id if self.item else None
        self.items = await load_queue(self.client, self.guild_id)
        self.verdicts = await load_verdict_reports(self.client, self.guild_id)
        ids = [i.passage_id for i in self.items]
        if current in ids:
            self.index = ids.index(current)

    async def _moderator(self, interaction: discord.Interaction) -> ReviewItem:
        if not await is_moderator(interaction):
            raise NotModerator("The review queue")
        item = self.item
        assert item is not None  # the action buttons are disabled on an empty queue
        return item

    async def _act(self, action: Callable[[Session, str], T]) -> T:
        """Run a curation change for this guild in one transaction, on a worker thread."""
        engine, gid = (await self.client.app_for(self.guild_id)).engine, str(self.guild_id)

        def run() -> T:
            with session_scope(engine) as session:
                return action(session, gid)

        return await self.client.service.run(run)

    async def on_prev(self, interaction: discord.Interaction) -> None:
        """Previous passage."""
        self.index -= 1
        await self.show(interaction)

    async def on_next(self, interaction: discord.Interaction) -> None:
        """Next passage."""
        self.index += 1
        await self.show(interaction)

    async def on_hide(self, interaction: discord.Interaction) -> None:
        """Hide the passage from this server's answers; it leaves the queue."""
        item = await self._moderator(interaction)
        actor = str(interaction.user.id)
        changed = await self._act(lambda s, g: PassageOverrides(s, g).hide(item.passage_id, actor=actor))
        await self.reload()
        await self.show(interaction, f"🙈 Hidden from answers: {excerpt(item, 100)}")
        if changed:
            await modlog.post(
                self.client,
                self.guild_id,
                f"🙈 <@{actor}> hid passage `{item.passage_id}` from answers (review queue, "
                f"{item.reports} 👎): {excerpt(item)} in {source(item)}",
            )

    async def on_fix(self, interaction: discord.Interaction) -> None:
        """Ask who really speaks in the passage."""
        item = await self._moderator(interaction)
        await interaction.response.send_modal(AttributionModal(self, item))

    async def on_dismiss(self, interaction: discord.Interaction) -> None:
        """Close the reports: the passage returns only if members report it again."""
        item = await self._moderator(interaction)
        actor = str(interaction.user.id)
        entry = await self._act(lambda s, g: ReviewQueue(s, g).dismiss(item.passage_id, actor=actor))
        await self.reload()
        await self.show(
            interaction, f"✅ Dismissed {item.reports} 👎 on {excerpt(item, 100)} (audit #{entry.id})."
        )
        await modlog.post(
            self.client,
            self.guild_id,
            f"✅ <@{actor}> dismissed {item.reports} 👎 report{'s' if item.reports != 1 else ''} "
            f"({escape(reasons_text(item))}) on passage `{item.passage_id}`: "
            f"{excerpt(item)} in {source(item)}",
        )


class AttributionModal(discord.ui.Modal, title="Fix the attribution"):
    """Speaker and role of the passage shown in the review panel."""

    def __init__(self, view: ReviewView, item: ReviewItem) -> None:
        super().__init__()
        self.view, self.item = view, item
        speaker, role = item.override or (None, None)
        self.speaker: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="speaker", required=False, max_length=200, default=speaker or None
        )
        self.role: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="role",
            options=[
                discord.SelectOption(label=label, value=value, default=value == role)
                for value, label in ROLE_LABELS.items()
            ],
        )
        self.add_item(
            discord.ui.Label(
                text="Speaker",
                description="Who says these words (not needed for own words)",
                component=self.speaker,
            )
        )
        self.add_item(discord.ui.Label(text="Whose words are these?", component=self.role))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Store the override (audited), redraw the panel and tell the mod-log."""
        if not await is_moderator(interaction):
            raise NotModerator("Fixing an attribution")
        choice = self.role.values[0] if self.role.values else CLEAR_ROLE
        role = None if choice == CLEAR_ROLE else choice
        assert role is None or role in SPEAKER_ROLES
        speaker = self.speaker.value.strip() or None
        actor, pid = str(interaction.user.id), self.item.passage_id
        changed = await self.view._act(
            lambda s, g: PassageOverrides(s, g).attribute(pid, speaker, role, actor=actor)
        )
        await self.view.reload()
        said = "removed the attribution fix" if role is None else f"{escape(speaker or '')} ({role})".strip()
        status = f"✏️ Attribution: {said}." if changed else "Nothing changed: that is the attribution already."
        await self.view.show(interaction, status)
        if changed:
            await modlog.post(
                self.view.client,
                self.view.guild_id,
                f"✏️ <@{actor}> fixed the attribution of passage `{pid}`: {said}. "
                f"{excerpt(self.item)} in {source(self.item)}",
            )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        """Same handling as commands (a bad role or a missing speaker is a short private message)."""
        from bot.discord.tree import report_error

        await report_error(interaction, error)


# -- the notice when a passage collects enough 👎 -------------------------------------------------

_locks: weakref.WeakKeyDictionary[EssaybotClient, asyncio.Lock] = weakref.WeakKeyDictionary()
_notices: set[asyncio.Task[bool]] = set()  # strong references until they finish


async def _open_reports(client: EssaybotClient, guild_id: int, passage_id: str) -> int:
    engine, gid = (await client.app_for(guild_id)).engine, str(guild_id)

    def count() -> int:
        with session_scope(engine) as session:
            return ReviewQueue(session, gid).open_reports(passage_id)

    return await client.service.run(count)


@asynccontextmanager
async def watch_reports(
    client: EssaybotClient, guild_id: int | None, passage_id: str | None
) -> AsyncIterator[None]:
    """Wrap storing a 👎: post a mod-log notice when it brings the passage to the guild's threshold.

    Counting before and after (under one lock, so two votes cannot both see the crossing) posts once
    per crossing: a member changing their reason does not count twice, and after a dismissal the
    count starts again. A failure here is logged and never loses the vote.
    """
    if guild_id is None or passage_id is None:
        yield
        return
    lock = _locks.setdefault(client, asyncio.Lock())
    async with lock:
        try:
            before: int | None = await _open_reports(client, guild_id, passage_id)
        except Exception:
            log.exception("could not count the 👎 reports of passage %s", passage_id)
            before = None
        yield
        if before is None:
            return
        try:
            await _notify(client, guild_id, passage_id, before)
        except Exception:
            log.exception("could not post the 👎 notice for passage %s", passage_id)


async def _notify(client: EssaybotClient, guild_id: int, passage_id: str, before: int) -> None:
    threshold = (await client.guild_settings(guild_id)).review_threshold
    after = await _open_reports(client, guild_id, passage_id)
    if not before < threshold <= after:
        return
    items = await load_queue(client, guild_id, passage_id)
    if not items:
        return  # hidden already
    item = items[0]
    text = (
        f"📣 A passage has {item.reports} 👎 reports ({escape(reasons_text(item))}): {excerpt(item)} "
        f"in {source(item)} (passage `{passage_id}`). See /review."
    )
    # Posted in the background: the member's 👎 is answered without waiting for the mod-log.
    task = asyncio.create_task(modlog.post(client, guild_id, text), name="essaybot-review-notice")
    _notices.add(task)
    task.add_done_callback(_notices.discard)
