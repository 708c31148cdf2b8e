"""The /stats embed."""

from __future__ import annotations

import discord

from bot.discord.render.answers import Rendered
from bot.discord.render.markdown import escape
from bot.store.stats import NO_REASON, Stats

WINDOW_NAMES = {
    "24h": "the last 24 hours",
    "7d": "the last 7 days",
    "30d": "the last 30 days",
    "all": "all time",
}
REASON_NAMES = {
    "wrong_author": "wrong author",
    "out_of_context": "out of context",
    "misquote": "misquote",
    "not_relevant": "not relevant",
    "essay_says_it": "an essay does say this",
    "doesnt_say_it": "it doesn't say this",
    NO_REASON: "no reason given",
}


def _ms(value: int | None) -> str:
    return "–" if value is None else f"{value:,} ms"


def stats_page(stats: Stats) -> Rendered:
    """Counts, shares, latency, top essays and passages, 👎 by reason."""
    embed = discord.Embed(
        title=f"essaybot over {WINDOW_NAMES[stats.window]}", colour=discord.Colour.blurple()
    )
    embed.add_field(name="Questions", value=f"{stats.questions:,}")
    found = f"{stats.found:,} ({stats.found_share:.0%})"
    # Contradicted answers are not found (an essay says otherwise): counted within "not found".
    embed.add_field(
        name="Who-said found",
        value=f"{found} · not found {stats.not_found:,} ({stats.not_found_share:.0%}), "
        f"of which says otherwise {stats.contradicted:,}",
    )
    embed.add_field(name="Errors", value=f"{stats.errors:,}")
    embed.add_field(
        name="Latency", value=f"p50 {_ms(stats.latency_p50_ms)} · p95 {_ms(stats.latency_p95_ms)}"
    )
    embed.add_field(name="Feedback", value=f"👍 {stats.thumbs_up:,} · 👎 {stats.thumbs_down:,}")
    reasons = [f"{REASON_NAMES.get(r, r)}: {n}" for r, n in stats.down_by_reason.items() if n]
    embed.add_field(name="👎 by reason", value="\n".join(reasons) or "none", inline=False)
    essays = [f"{e.count}× {escape(e.title)[:150]}" for e in stats.top_essays]
    embed.add_field(name="Most quoted essays", value="\n".join(essays) or "none yet", inline=False)
    passages = [
        f"{p.count}× “{escape((p.text or 'a passage since removed')[:120])}”" for p in stats.top_passages
    ]
    embed.add_field(name="Most quoted passages", value="\n".join(passages)[:1024] or "none yet", inline=False)
    embed.set_footer(text="Only you can see this · from the interaction log")
    return Rendered(content="", embeds=[embed])
