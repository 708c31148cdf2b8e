"""The mod-log: every curation action, and notices such as repeated 👎 reports, posted to the channel
each guild chose in ``/settings``. Posting never fails the action it reports."""

from __future__ import annotations

import logging

import discord

from bot.discord.context import GuildScope
from bot.discord.render.limits import CONTENT, truncate
from bot.discord.replies import NO_MENTIONS

log = logging.getLogger(__name__)


async def post(scope: GuildScope, text: str) -> bool:
    """Post ``text`` to the mod-log channel of the scope's server (of every server the bot is in when
    the scope is no server: a change to the shared corpus).

    ``text`` is markdown the caller built; essay text inside it must already be escaped. True when
    at least one post went out.
    """
    host = scope.host
    # Fresh scopes, not an interaction's context: its settings may predate the change being reported
    # (an undone settings change can move the mod-log channel itself).
    guild_ids = [g.id for g in host.guilds] if scope.guild_id is None else [scope.guild_id]
    targets = [GuildScope(host, gid) for gid in guild_ids]
    sent = False
    for target in targets:
        settings = await target.settings()
        if settings.modlog_channel_id is None:
            continue
        try:
            channel = host.get_channel(settings.modlog_channel_id) or await host.fetch_channel(
                settings.modlog_channel_id
            )
            if isinstance(channel, discord.abc.Messageable):
                await channel.send(truncate(text, CONTENT), allowed_mentions=NO_MENTIONS)
                sent = True
        except discord.HTTPException as exc:
            log.warning("could not post to the mod-log of guild %s: %s", target.guild_id, exc)
    return sent
