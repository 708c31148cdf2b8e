"""Micro-batched query embedding: questions arriving together are embedded in one model call.

Embedding dominates a who-said answer's CPU time, and a batch of 32 short queries costs little more
than one, so under load the bot waits a few milliseconds to gather queries and runs them together on
a worker thread. The event loop itself never runs the model.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


@dataclass
class BatchStats:
    """Sizes of the batches run so far (for the load benchmark)."""

    sizes: list[int] = field(default_factory=list)


class EmbedBatcher:
    """Collects ``embed()`` calls for ``window`` seconds (or ``max_batch`` texts) and embeds them at once."""

    def __init__(
        self,
        embed: Callable[[Sequence[str]], Vectors],
        executor: Executor,
        *,
        window: float = 0.01,
        max_batch: int = 32,
    ) -> None:
        self._embed, self._executor = embed, executor
        self.window, self.max_batch = window, max_batch
        self._pending: list[tuple[str, asyncio.Future[Vectors]]] = []
        self._drain: asyncio.Task[None] | None = None
        self.stats = BatchStats()

    async def embed(self, text: str) -> Vectors:
        """The (1, dim) normalised vector of one text."""
        future: asyncio.Future[Vectors] = asyncio.get_running_loop().create_future()
        self._pending.append((text, future))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        await asyncio.sleep(self.window)
        loop = asyncio.get_running_loop()
        # Texts that arrive while a batch runs are gathered for the next one.
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            live = [(text, fut) for text, fut in batch if not fut.done()]
            if not live:
                continue
            self.stats.sizes.append(len(live))
            try:
                vectors = await loop.run_in_executor(self._executor, self._embed, [t for t, _ in live])
            except Exception as exc:  # every waiter gets the error; the next batch tries afresh
                for _, fut in live:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for row, (_, fut) in enumerate(live):
                if not fut.done():
                    fut.set_result(vectors[row : row + 1])
