"""The async face of ``Essaybot`` for the Discord shell: nothing here runs the model on the event loop.

Queries are validated on the loop (cheap, and it lets bad input fail before the command is
acknowledged), embedded in micro-batches on a worker thread, and searched on a small thread pool, so
gateway heartbeats and acknowledgements never wait for retrieval.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from bot.answer.sides import Target, author_groups
from bot.answer.types import CompareAnswer, PositionsAnswer, WhoSaidAnswer
from bot.core.corpora import Corpora
from bot.core.essaybot import Essaybot, NamedTarget
from bot.corpus.models import EssayMeta
from bot.cpus import available_cpus
from bot.discord.batcher import EmbedBatcher, Vectors
from bot.search.query import ParsedQuery, ParsedTopic

P = ParamSpec("P")
T = TypeVar("T")


class AnswerService:
    """Runs who-said, compare and positions for coroutines, off the event loop.

    ``app`` is the main instance; ``app_for(guild_id)`` is the one whose corpus answers in a guild
    (the same one unless ``corpus_scope = "per_guild"``).
    """

    def __init__(self, app: Essaybot) -> None:
        self.app = app
        self.corpora = Corpora(app)
        cfg = app.settings.discord
        workers = cfg.workers or max(2, available_cpus())
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="essaybot-search")
        # What a command reads before it acknowledges (the server's settings, an author's name) gets a
        # thread of its own: behind a burst of searches it would wait seconds, past Discord's deadline.
        self.prompt_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="essaybot-prompt")
        # One thread for the model: torch already uses every core for a batch.
        self._embed_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="essaybot-embed")
        self.batcher = EmbedBatcher(
            self._embed, self._embed_executor, window=cfg.batch_window_ms / 1000, max_batch=cfg.max_batch
        )

    def _embed(self, texts: Sequence[str]) -> Vectors:
        # Every corpus shares the main instance's model, so one batch serves questions from every guild.
        return self.app.retriever().embed(texts)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking call on the search pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    async def run_prompt(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a short blocking call (a database read, a name lookup) that never queues behind searches."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.prompt_executor, functools.partial(fn, *args, **kwargs))

    async def app_for(self, guild_id: int | str | None) -> Essaybot:
        """The instance whose corpus answers in ``guild_id``; a guild's first use builds it off the loop."""
        found = self.corpora.cached(guild_id)
        if found is not None:
            return found
        return await self.run(self.corpora.for_guild, guild_id)

    # -- validation, on the loop: raises EssaybotError subclasses with the user's message ----------
    # A cog parses and resolves once, before acknowledging, and passes the result on to the answer.

    def parse(self, raw: str) -> ParsedQuery:
        """Validate a who-said query (length, control characters, emptiness)."""
        return self.app.parse(raw)

    def topic(self, raw: str) -> ParsedTopic:
        """Validate a compare or positions topic."""
        return self.app.parse_topic(raw)

    async def resolve(self, name: str, *, guild_id: int | None = None) -> Target:
        """An author or essay name as the guild's corpus knows it (UnknownSideError / AmbiguousSideError)."""
        return await self.run_prompt((await self.app_for(guild_id)).resolve, name)

    async def resolve_named(self, name: str, *, guild_id: int | None = None) -> NamedTarget:
        """A compare side: the name as typed and what it resolves to in the guild's corpus."""
        return await self.run_prompt((await self.app_for(guild_id)).named, name)

    # -- answers: a raw string (a logged question asked again) is parsed or resolved by the core ----

    async def answer_who_said(
        self, query: ParsedQuery | str, author: Target | str | None = None, *, guild_id: int | None = None
    ) -> WhoSaidAnswer:
        """Who said this? The query vector comes from the shared micro-batch; the guild's curation applies."""
        query = self.parse(query) if isinstance(query, str) else query
        vector = await self.batcher.embed(query.text)
        app = await self.app_for(guild_id)
        return await self.run(app.who_said, query, author, query_vector=vector, guild_id=_gid(guild_id))

    async def answer_compare(
        self,
        a: NamedTarget | str,
        b: NamedTarget | str,
        topic: ParsedTopic | str,
        *,
        guild_id: int | None = None,
    ) -> CompareAnswer:
        """Both sides' passages on a topic."""
        app = await self.app_for(guild_id)
        return await self.run(app.compare, a, b, topic, guild_id=_gid(guild_id))

    async def answer_positions(
        self, topic: ParsedTopic | str, *, guild_id: int | None = None
    ) -> PositionsAnswer:
        """Every author's best passage on a topic."""
        app = await self.app_for(guild_id)
        return await self.run(app.positions, topic, guild_id=_gid(guild_id))

    async def essays(self, *, guild_id: int | None = None) -> list[EssayMeta]:
        """The active essays of the guild's corpus, by date then title."""
        metas = await self.run((await self.app_for(guild_id)).essays)
        return sorted(metas, key=lambda m: (m.date or "", m.title))

    async def author_names(self, *, guild_id: int | None = None) -> list[str]:
        """Every author line and essay title of the guild's corpus, for autocomplete."""
        metas = await self.essays(guild_id=guild_id)
        return [*author_groups(metas), *(m.title for m in metas)]

    def close(self) -> None:
        """Stop the worker threads; queued work is dropped (shutdown must finish quickly)."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.prompt_executor.shutdown(wait=False, cancel_futures=True)
        self._embed_executor.shutdown(wait=False, cancel_futures=True)
        self.corpora.close()


def _gid(guild_id: int | None) -> str | None:
    return None if guild_id is None else str(guild_id)
