"""Load benchmark over the wire: 50 concurrent /who-said interactions against the fake Discord.

Usage: python bench/discord_load.py [--concurrent 50] [--rounds 3] [--data-dir DIR]

The real bot (client, cogs, micro-batched embedding, search pool, interaction log) runs against the
test suite's fake Discord API server on loopback; every interaction goes out as a gateway event and
every answer comes back over HTTP. The questions are every who-said file of tests/data (514), taken
in turn, so that no question is asked twice in the first rounds. Prints, over all rounds:
- acknowledgement (defer) latency p50/p95/max: proves the event loop never blocks;
- final answer latency p50/p95/max;
- the largest gateway heartbeat delay (heartbeats every 0.5 s during the run);
- the embedding batch sizes;
- the questions the bot failed to answer (an error in its own interaction log), with the first error.
Targets on a 2-core machine: defer p95 < 250 ms, answer p95 < 2 s, heartbeat delay < 0.5 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import asyncio
import json
import resource
import statistics
import tempfile
import time

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fake Discord lives with the tests

from bot.config import DiscordSection, load_settings  # noqa: E402
from bot.core.essaybot import Essaybot  # noqa: E402
from bot.discord.client import EssaybotClient  # noqa: E402
from bot.discord.runner import serve  # noqa: E402
from bot.store.db import session_scope  # noqa: E402
from bot.store.models import InteractionRow  # noqa: E402
from fakediscord import FakeDiscord  # noqa: E402

GUILD, CHANNEL = 1, 2
# Every who-said file of the project's own (514 questions): 2 rounds of 200 never ask one twice, so
# what a process remembers of a question (tokens, words) cannot flatter a round.
QUESTION_FILES = sorted(p for p in (ROOT / "tests" / "data").glob("*.jsonl") if "compare" not in p.name)


def questions() -> list[str]:
    """Varied real questions (paraphrases, quotes, claims, negatives) from the project's own files."""
    out = []
    for path in QUESTION_FILES:
        out += [json.loads(line)["query"] for line in path.read_text().splitlines() if line.strip()]
    return out


def _last_interaction(app: Essaybot) -> int:
    with session_scope(app.engine) as session:
        return int(session.scalar(select(func.max(InteractionRow.id))) or 0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(data_dir: Path, concurrent: int, rounds: int) -> dict[str, object]:
    settings = load_settings(
        None,
        data_dir=data_dir,
        discord=DiscordSection(dev_guild_ids=[GUILD], cooldown_rate=100, cooldown_seconds=1.0),
    )
    app = Essaybot(settings)
    app.ensure_ready()
    app.who_said("warm-up: load the model and the index")
    logged_before = _last_interaction(app)
    server = FakeDiscord(heartbeat_interval_ms=500)
    await server.start()
    server.add_guild(GUILD, channels=[CHANNEL])
    users = list(range(1000, 1000 + concurrent))
    for user in users:
        server.add_member(GUILD, user, f"member{user}")
    clients: list[EssaybotClient] = []

    def factory() -> EssaybotClient:
        clients.append(EssaybotClient(app, guild_ready_timeout=0.05))
        return clients[-1]

    stop = asyncio.Event()
    acks: list[float] = []
    answers: list[float] = []
    pool = questions()
    with server.patch_discord():
        task = asyncio.create_task(serve(app, "bench.bot.token", stop=stop, client_factory=factory))
        await server.wait_ready(timeout=60)
        while not clients or not clients[-1].is_ready():
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.2)  # a couple of heartbeats before the load
        for r in range(rounds):
            batch = [
                server.slash(
                    user,
                    "who-said",
                    {"query": pool[(r * concurrent + i) % len(pool)]},
                    guild_id=GUILD,
                    channel_id=CHANNEL,
                )
                for i, user in enumerate(users)
            ]
            interactions = await asyncio.gather(*batch)
            await asyncio.gather(*(i.wait_message(timeout=60) for i in interactions))
            acks += [i.ack_latency * 1000 for i in interactions if i.ack_latency is not None]
            answers += [i.answer_latency * 1000 for i in interactions if i.answer_latency is not None]
            await asyncio.sleep(1.0)
        heartbeat_delay = server.max_heartbeat_delay()
        sizes = list(clients[-1].service.batcher.stats.sizes)
        stop.set()
        await task
    await server.stop()
    rejections = [str(r) for r in server.rejections]
    with session_scope(app.engine) as session:  # every question the bot failed to answer, by its own log
        errors = list(
            session.scalars(
                select(InteractionRow.error).where(
                    InteractionRow.id > logged_before, InteractionRow.error.is_not(None)
                )
            )
        )
    return {
        "interactions": len(answers),
        "defer_ms": {"p50": statistics.median(acks), "p95": pct(acks, 0.95), "max": max(acks)},
        "answer_ms": {"p50": statistics.median(answers), "p95": pct(answers, 0.95), "max": max(answers)},
        "max_heartbeat_delay_s": heartbeat_delay,
        "embed_batches": {"count": len(sizes), "mean_size": statistics.mean(sizes), "max_size": max(sizes)},
        "rejections": rejections,
        "errors": errors,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="an existing data dir (default: a fresh one)"
    )
    args = parser.parse_args()
    t0 = time.perf_counter()
    if args.data_dir:
        result = asyncio.run(run(args.data_dir, args.concurrent, args.rounds))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(run(Path(tmp), args.concurrent, args.rounds))
    d, a = result["defer_ms"], result["answer_ms"]
    assert isinstance(d, dict) and isinstance(a, dict)
    n, c, r = result["interactions"], args.concurrent, args.rounds
    print(f"{n} /who-said interactions, {c} at a time, {r} rounds")
    for name, v, target in (("defer (ack)", d, "p95 < 250"), ("answer", a, "p95 < 2000")):
        figures = f"p50 {v['p50']:7.1f} ms   p95 {v['p95']:7.1f} ms   max {v['max']:7.1f} ms"
        print(f"{name:<12} {figures}   target {target}")
    print(f"largest heartbeat delay {result['max_heartbeat_delay_s']:.3f} s   target < 0.5")
    print(f"embedding batches {result['embed_batches']}")
    print(f"peak RSS {result['peak_rss_mb']:.0f} MB")
    print(f"rejections by the fake Discord: {result['rejections'] or 'none'}")
    errors = result["errors"]
    assert isinstance(errors, list)
    print(f"questions the bot failed: {len(errors)}" + (f" (first: {errors[0][:200]})" if errors else ""))
    print(f"(total {time.perf_counter() - t0:.0f} s including ingest of the seeds)")


if __name__ == "__main__":
    main()
