"""Verdicts over the wire: a contradicted answer (its own colour, the real speaker, what differs), the
Why? button, 👎 reasons about the verdict reaching /review grouped by question, /stats counting
contradicted answers, and a moderators' verdict override that corrects posted answers and is undone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.curation.verdicts import SET
from bot.discord.render import answers as render
from bot.store.db import session_scope
from bot.store.models import AuditRow, VerdictOverrideRow
from botenv import ASKER, CHANNEL, MOD, OTHER, BotEnv
from fakediscord.models import Message

pytestmark = pytest.mark.model

# Mason says Russia was plundered under that order; ICL dates the offensive from 1990, not 2004.
PROSPERED = "Who said Russia prospered under the American-led world order of 1989 to 2008?"
OFFENSIVE = "Who said the U.S. has been on a constant offensive in Eastern Europe since 2004?"
CHICKENS = "Who said the chickens have come home to roost?"
HOSTILE = " @everyone <@930002> **loud** ```x```"
# The claim in quotes, the member's mentions and markdown around it: the verdict is the claim's.
HOSTILE_PROSPERED = (
    '@everyone <@930002> **loud** ```x``` who said "Russia prospered under the American-led world order of'
    ' 1989 to 2008"?'
)
MENU = "Moderate this answer"
LIMIT = 2000


async def asked(bot_env: BotEnv, query: str, user: int = ASKER) -> Message:
    message = await bot_env.answer(await bot_env.who_said(query, user=user))
    await bot_env.settle()
    return message


def within_limits(message: Message) -> None:
    assert len(message.content or "") <= LIMIT
    total = 0
    for embed in message.embeds:
        total += sum(len(embed.get(k, "")) for k in ("title", "description"))
        total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
        assert len(embed.get("description", "")) <= 4096
    assert total <= 6000


async def test_contradicted_answer_renders_within_limits_with_mentions_suppressed(bot_env: BotEnv) -> None:
    message = await asked(bot_env, HOSTILE_PROSPERED)
    within_limits(message)
    assert message.content.startswith("Not found: no essay in this library says that. Paul Mason")
    (embed,) = message.embeds
    assert embed["color"] == render.CONTRADICTED.value and embed["author"]["name"] == "Says otherwise"
    assert embed["title"].startswith("Paul Mason")
    text = bot_env.text(message)
    assert "“plundered”, not “prospered”" in text
    assert "nothing" not in text.lower()
    # The member's mentions and markdown are shown as text, never live (the fixture also checks that
    # every message was sent with mentions suppressed).
    assert "@everyone" not in text and "<@930002>" not in text and "```" not in text
    row = next(r for r in bot_env.rows() if r.command == "who_said")
    assert (row.verdict, row.calibration) == ("contradicted", bot_env.app.calibration.id)
    # "Who said this?" on a member's message gives the same verdict, privately by default.
    said = bot_env.server.add_user_message(CHANNEL, OTHER, OFFENSIVE + HOSTILE)
    menu = await bot_env.server.message_command(ASKER, "Who said this?", said, **bot_env.where)
    reply = await menu.wait_message(timeout=30)
    await bot_env.settle()
    within_limits(reply)
    assert reply.ephemeral and reply.content.startswith("Not found: no essay in this library says that.")
    assert reply.embeds[0]["color"] == render.CONTRADICTED.value
    assert "1990" in bot_env.text(reply)


async def test_why_names_the_cue_or_the_support(bot_env: BotEnv) -> None:
    message = await asked(bot_env, PROSPERED)
    press = await bot_env.server.click(OTHER, message, bot_env.custom_id(message, "why"))
    why = await press.wait_message()
    assert why.ephemeral and why.content.startswith("Why: Not found")
    assert "Opposite words" in bot_env.text(why)
    found = await asked(bot_env, CHICKENS)
    press = await bot_env.server.click(ASKER, found, bot_env.custom_id(found, "why"))
    why = await press.wait_message()
    assert why.ephemeral and why.content.startswith("Why: Found.")
    await bot_env.settle()
    assert [r.command for r in bot_env.rows()].count("button_why") == 2


async def test_stats_counts_contradicted_answers(bot_env: BotEnv) -> None:
    await asked(bot_env, PROSPERED)
    await asked(bot_env, OFFENSIVE)
    await asked(bot_env, CHICKENS)
    stats = await (await bot_env.server.slash(MOD, "stats", {}, **bot_env.where)).wait_message()
    field = next(f for f in stats.embeds[0]["fields"] if f["name"] == "Who-said found")
    assert field["value"] == "1 (33%) · not found 2 (67%), of which says otherwise 2"


async def thumbs_down(bot_env: BotEnv, message: Message, user: int, reason: str) -> dict[str, Any]:
    down = await bot_env.server.click(user, message, bot_env.custom_id(message, "down"))
    prompt = await down.wait_message()
    chosen = await bot_env.server.select(user, prompt, bot_env.custom_id(prompt, "reason"), [reason])
    response: dict[str, Any] = await chosen.response()
    return response


async def test_verdict_reasons_reach_review_grouped_by_question(bot_env: BotEnv) -> None:
    first = await asked(bot_env, PROSPERED)
    # The same question in other words of case and quotes: the same claim, one group.
    second = await asked(bot_env, PROSPERED.replace("Russia", "RUSSIA"), user=OTHER)
    other = await asked(bot_env, OFFENSIVE)
    assert (await thumbs_down(bot_env, first, OTHER, "doesnt_say_it"))["type"] == 7
    modal = await thumbs_down(bot_env, second, ASKER, "essay_says_it")
    assert modal["type"] == 9  # a modal: which essay?
    field = modal["data"]["components"][0]["components"][0]["custom_id"]
    submitted = await bot_env.server.submit_modal(
        ASKER, modal["data"]["custom_id"], {field: "Ashley Smith, on sanctions @everyone"}
    )
    assert (await submitted.response())["type"] == 7
    await thumbs_down(bot_env, other, ASKER, "misquote")  # about the passage: the passage queue
    await bot_env.settle()
    assert {(f.reason, f.detail) for f in bot_env.feedback()} == {
        ("doesnt_say_it", None),
        ("essay_says_it", "Ashley Smith, on sanctions @everyone"),
        ("misquote", None),
    }
    review = await (await bot_env.server.slash(MOD, "review", {}, **bot_env.where)).wait_message()
    assert review.ephemeral
    verdicts = next(e for e in review.embeds if e["title"].startswith("Verdict reports"))
    assert verdicts["title"] == "Verdict reports: 1 question, 2 👎"
    (group,) = verdicts["fields"]
    assert group["name"].startswith("2 👎 · Who said RUSSIA prospered")
    assert "It doesn't say this / says the opposite ×1" in group["value"]
    assert "An essay does say this (which?) ×1" in group["value"]
    assert "Ashley Smith, on sanctions" in group["value"] and "@everyone" not in group["value"]
    # The misquote report stays in the passage queue.
    assert review.embeds[0]["title"].startswith("1 👎 · Misquote")


async def test_verdict_override_corrects_posted_answers_and_undo_brings_the_verdict_back(
    bot_env: BotEnv,
) -> None:
    posted = await asked(bot_env, PROSPERED)
    assert posted.content.startswith("Not found")
    menu = await bot_env.server.message_command(MOD, MENU, posted, **bot_env.where)
    panel = await menu.wait_message()
    assert "verdict for “russia prospered under the american-led world order" in bot_env.text(panel).lower()
    chosen = await bot_env.server.select(MOD, panel, bot_env.custom_id(panel, "verdict"), ["supports"])
    await chosen.wait_edits(1, timeout=30)
    await bot_env.settle()
    status = bot_env.server.messages[panel.id].content
    assert "the moderators say it says this" in status and "Corrected 1 posted answer" in status
    corrected = bot_env.server.messages[posted.id]
    assert corrected.content.startswith("Found.") and "Corrected by the moderators" in corrected.content
    assert (await asked(bot_env, PROSPERED)).content.startswith("Found.")
    # Only this question changed: the other claim keeps the verifier's verdict.
    assert (await asked(bot_env, OFFENSIVE)).content.startswith("Not found")
    with session_scope(bot_env.app.engine) as session:
        assert session.scalars(select(VerdictOverrideRow.verdict)).one() == "supports"
        entry = session.scalars(select(AuditRow.id).where(AuditRow.action == SET)).one()
    undo = await bot_env.server.slash(MOD, "audit", {"entry": entry}, subcommand="undo", **bot_env.where)
    undone = await undo.wait_message()
    assert undone.ephemeral and "Undone" in undone.content
    await bot_env.settle()
    with session_scope(bot_env.app.engine) as session:
        assert session.scalars(select(VerdictOverrideRow)).first() is None
    back = await asked(bot_env, PROSPERED)
    assert back.content.startswith("Not found: no essay in this library says that. Paul Mason")
