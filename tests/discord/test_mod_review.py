"""/review over the wire: 👎 reports queued by reason; hide, fix attribution, dismiss; the mod-log notice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.curation.passages import PassageOverrides
from bot.curation.settings import GuildSettings
from bot.store.db import session_scope
from bot.store.models import AuditRow
from botenv import ASKER, GUILD, MOD, OTHER, OTHER_CHANNEL, ROLE_MOD, BotEnv
from fakediscord.models import Message

pytestmark = pytest.mark.model

CHICKENS = "Who said the chickens have come home to roost?"
ICL = "International Communist League"


async def asked(bot_env: BotEnv) -> Message:
    message = await bot_env.answer(await bot_env.who_said(CHICKENS))
    await bot_env.settle()
    return message


async def thumbs_down(bot_env: BotEnv, answer: Message, user: int, reason: str) -> None:
    down = await bot_env.server.click(user, answer, bot_env.custom_id(answer, "down"))
    prompt = await down.wait_message()
    chosen = await bot_env.server.select(user, prompt, bot_env.custom_id(prompt, "reason"), [reason])
    assert (await chosen.response())["type"] == 7


async def review(bot_env: BotEnv, user: int = MOD) -> Message:
    return await (await bot_env.server.slash(user, "review", {}, **bot_env.where)).wait_message()


def reported_passage(bot_env: BotEnv) -> str:
    passage = bot_env.feedback()[-1].passage_id
    assert passage is not None
    return passage


def modlog(bot_env: BotEnv) -> list[str]:
    return [m.content or "" for m in bot_env.server.messages.values() if m.channel_id == OTHER_CHANNEL]


async def test_review_is_refused_to_members_in_code(bot_env: BotEnv) -> None:
    definition = next(c for c in bot_env.server.commands[GUILD] if c["name"] == "review")
    assert int(definition["default_member_permissions"]) == 1 << 13
    reply = await review(bot_env, OTHER)
    assert reply.ephemeral and "for moderators" in reply.content
    empty = await review(bot_env, ROLE_MOD)
    assert empty.ephemeral and "Nothing to review" in empty.content


async def test_queue_lists_reports_by_reason_and_hide_removes_the_passage(bot_env: BotEnv) -> None:
    answer = await asked(bot_env)
    await thumbs_down(bot_env, answer, OTHER, "wrong_author")
    await thumbs_down(bot_env, answer, ASKER, "misquote")
    await bot_env.settle()
    passage = reported_passage(bot_env)
    panel = await review(bot_env)
    text = bot_env.text(panel)
    assert panel.ephemeral
    assert "1 passage, 2 open 👎 reports" in text
    assert "Wrong author ×1" in text and "Misquote ×1" in text
    assert passage in text and "chickens" in text
    assert "roost" in text  # the question whose answer was reported
    # A moderator whose role was taken away while the panel was open is refused in code.
    role_panel = await review(bot_env, ROLE_MOD)
    with session_scope(bot_env.app.engine) as session:
        GuildSettings(session, str(GUILD)).set(actor="cli", moderator_role_ids=[])
    late = await bot_env.server.click(ROLE_MOD, role_panel, bot_env.custom_id(role_panel, "hide"))
    refusal = await late.wait_message()
    assert refusal.ephemeral and "for moderators" in refusal.content
    hide = await bot_env.server.click(MOD, panel, bot_env.custom_id(panel, "hide"))
    assert (await hide.response())["type"] == 7
    assert "Nothing to review" in bot_env.server.messages[panel.id].content
    assert "Hidden from answers" in bot_env.server.messages[panel.id].content
    with session_scope(bot_env.app.engine) as session:
        override = PassageOverrides(session, str(GUILD)).get(passage)
        assert override is not None and override.hidden and override.updated_by == str(MOD)
    await asked(bot_env)
    row = bot_env.rows()[-1]
    assert row.command == "who_said" and passage not in row.passage_ids


async def test_dismiss_closes_reports_until_a_new_thumbs_down(bot_env: BotEnv) -> None:
    answer = await asked(bot_env)
    await thumbs_down(bot_env, answer, OTHER, "out_of_context")
    await bot_env.settle()
    passage = reported_passage(bot_env)
    panel = await review(bot_env, ROLE_MOD)
    dismiss = await bot_env.server.click(ROLE_MOD, panel, bot_env.custom_id(panel, "dismiss"))
    await dismiss.response()
    assert "Dismissed 1 👎" in bot_env.server.messages[panel.id].content
    with session_scope(bot_env.app.engine) as session:
        row = session.scalars(select(AuditRow).where(AuditRow.action == "review.dismiss")).one()
        assert (row.target, row.actor, row.guild_id) == (passage, str(ROLE_MOD), str(GUILD))
    assert "Nothing to review" in (await review(bot_env)).content
    # The same member's reason change after the dismissal is a new report.
    await thumbs_down(bot_env, answer, OTHER, "misquote")
    await bot_env.settle()
    back = bot_env.text(await review(bot_env))
    assert "1 passage, 1 open 👎 report" in back and "Misquote ×1" in back and "Out of context" not in back


async def test_fix_attribution_from_the_queue(bot_env: BotEnv) -> None:
    answer = await asked(bot_env)
    await thumbs_down(bot_env, answer, OTHER, "wrong_author")
    await bot_env.settle()
    passage = reported_passage(bot_env)
    panel = await review(bot_env)
    press = await bot_env.server.click(MOD, panel, bot_env.custom_id(panel, "fix"))
    modal = await press.response()
    assert modal["type"] == 9
    submitted = await bot_env.server.submit_modal(
        MOD, modal["data"]["custom_id"], {"speaker": "Malcolm X", "role": ["quoted"]}
    )
    assert (await submitted.response())["type"] == 7
    panel_now = bot_env.text(bot_env.server.messages[panel.id])
    assert "Attribution: Malcolm X (quoted)" in panel_now and "Attribution fixed" in panel_now
    with session_scope(bot_env.app.engine) as session:
        override = PassageOverrides(session, str(GUILD)).get(passage)
        assert override is not None and (override.speaker, override.role) == ("Malcolm X", "quoted")
    fixed = await asked(bot_env)
    assert "Malcolm X" in bot_env.text(fixed)


async def test_mod_log_gets_one_notice_when_the_threshold_is_crossed(bot_env: BotEnv) -> None:
    with session_scope(bot_env.app.engine) as session:
        GuildSettings(session, str(GUILD)).set(
            actor="cli", modlog_channel_id=OTHER_CHANNEL, review_threshold=2
        )
    answer = await asked(bot_env)
    await thumbs_down(bot_env, answer, OTHER, "wrong_author")
    await bot_env.settle()
    assert modlog(bot_env) == []  # one report: under the threshold
    await thumbs_down(bot_env, answer, ASKER, "misquote")
    await bot_env.settle()  # the notice is posted by a task of its own, which settle() waits for
    notices = modlog(bot_env)
    assert len(notices) == 1
    assert "📣" in notices[0] and "2 👎 reports" in notices[0] and reported_passage(bot_env) in notices[0]
    assert "Wrong author ×1" in notices[0] and "/review" in notices[0]
    # More reports, or a member changing their reason, do not repeat the notice.
    await thumbs_down(bot_env, answer, MOD, "not_relevant")
    await thumbs_down(bot_env, answer, ASKER, "wrong_author")
    await bot_env.settle()  # a second notice would have been started by now: none was
    assert len(modlog(bot_env)) == 1
