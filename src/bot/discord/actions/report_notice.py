"""The mod-log notice when members' 👎 bring a passage to the server's review threshold."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.curation.review import ReviewQueue
from bot.discord.actions import modlog
from bot.discord.context import GuildScope
from bot.discord.host import Host
from bot.discord.render.markdown import escape
from bot.discord.render.reports import excerpt, reasons_text, source

log = logging.getLogger(__name__)

# One lock per client: two votes must not both see the same crossing of the threshold.
_locks: weakref.WeakKeyDictionary[Host, asyncio.Lock] = weakref.WeakKeyDictionary()
_notices: set[asyncio.Task[bool]] = set()  # strong references until they finish


async def _open_reports(scope: GuildScope, passage_id: str) -> int:
    gid = scope.gid
    return await scope.db(lambda s: ReviewQueue(s, gid).open_reports(passage_id))


@asynccontextmanager
async def watch_reports(scope: GuildScope, passage_id: str | None) -> AsyncIterator[None]:
    """Wrap storing a 👎: post a mod-log notice when it brings the passage to the guild's threshold.

    Counting before and after (under one lock, so two votes cannot both see the crossing) posts once
    per crossing: a member changing their reason does not count twice, and after a dismissal the
    count starts again. A failure here is logged and never loses the vote.
    """
    if scope.guild_id is None or passage_id is None:
        yield
        return
    lock = _locks.setdefault(scope.host, asyncio.Lock())
    async with lock:
        try:
            before: int | None = await _open_reports(scope, passage_id)
        except Exception:
            log.exception("could not count the 👎 reports of passage %s", passage_id)
            before = None
        yield
        if before is None:
            return
        try:
            await _notify(scope, passage_id, before)
        except Exception:
            log.exception("could not post the 👎 notice for passage %s", passage_id)


async def _notify(scope: GuildScope, passage_id: str, before: int) -> None:
    threshold = (await scope.settings()).review_threshold
    after = await _open_reports(scope, passage_id)
    if not before < threshold <= after:
        return
    gid = scope.gid
    items = await scope.db(lambda s: ReviewQueue(s, gid).items(passage_id))
    if not items:
        return  # hidden already
    item = items[0]
    text = (
        f"📣 A passage has {item.reports} 👎 reports ({escape(reasons_text(item))}): {excerpt(item)} "
        f"in {source(item)} (passage `{passage_id}`). See /review."
    )
    # Posted in the background: the member's 👎 is answered without waiting for the mod-log.
    task = asyncio.create_task(modlog.post(scope, text), name="essaybot-review-notice")
    _notices.add(task)
    task.add_done_callback(_notices.discard)
