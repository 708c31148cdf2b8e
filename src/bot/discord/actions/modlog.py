"""The mod-log: every curation action, and notices such as repeated 👎 reports, posted to the channel
each guild chose in ``/settings``. Posting never fails the action it reports."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.discord.render.limits import CONTENT, truncate
from bot.discord.replies import NO_MENTIONS

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

log = logging.getLogger(__name__)


async def post(client: EssaybotClient, guild_id: int | str | None, text: str) -> bool:
    """Post ``text`` to a guild's mod-log channel (every configured guild when ``guild_id`` is None).

    ``text`` is markdown the caller built; essay text inside it must already be escaped. True when
    at least one post went out.
    """
    targets = [g.id for g in client.guilds] if guild_id is None else [int(guild_id)]
    sent = False
    for gid in targets:
        settings = await client.guild_settings(gid)
        if settings.modlog_channel_id is None:
            continue
        try:
            channel = client.get_channel(settings.modlog_channel_id) or await client.fetch_channel(
                settings.modlog_channel_id
            )
            if isinstance(channel, discord.abc.Messageable):
                await channel.send(truncate(text, CONTENT), allowed_mentions=NO_MENTIONS)
                sent = True
        except discord.HTTPException as exc:
            log.warning("could not post to the mod-log of guild %s: %s", gid, exc)
    return sent
