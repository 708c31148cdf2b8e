"""Curated quotes over the wire: /quotes save|list|remove|export|import and saving from the
"Moderate this answer" panel; a curated quote ranks first with its badge, within its match class."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.curation.passages import PassageOverrides, find_passages
from bot.curation.quotes import CuratedQuotes
from bot.curation.settings import GuildSettings
from bot.store.db import session_scope
from bot.store.models import AuditRow, CuratedQuoteRow
from botenv import CHANNEL, GUILD, MOD, OTHER, OTHER_CHANNEL, BotEnv, member_perms
from fakediscord import MANAGE_MESSAGES, wait_until
from fakediscord.models import Message

pytestmark = pytest.mark.model

SOLIDARITY = "Who said solidarity with the Ukrainian resistance"
CONDEMN_ID = "3fdce89fc962"  # the third exact result of SOLIDARITY
CHICKENS = "Who said the chickens have come home to roost?"
CHICKENS_ID = "14d6d3057428"
MENU = "Moderate this answer"
GUILD2, CHANNEL2 = 910002, 920009


def use_modlog(bot_env: BotEnv) -> None:
    with session_scope(bot_env.app.engine) as session:
        GuildSettings(session, str(GUILD)).set(actor="test", modlog_channel_id=OTHER_CHANNEL)


def modlog(bot_env: BotEnv) -> list[str]:
    posts = [m for m in bot_env.server.messages.values() if m.channel_id == OTHER_CHANNEL]
    return [m.content for m in sorted(posts, key=lambda m: m.id)]


def curated(bot_env: BotEnv, guild: int = GUILD) -> list[CuratedQuoteRow]:
    with session_scope(bot_env.app.engine) as session:
        rows = list(
            session.scalars(
                select(CuratedQuoteRow)
                .where(CuratedQuoteRow.guild_id == str(guild), CuratedQuoteRow.removed_at.is_(None))
                .order_by(CuratedQuoteRow.id)
            )
        )
        session.expunge_all()
        return rows


async def asked(bot_env: BotEnv, query: str) -> Message:
    message = await bot_env.answer(await bot_env.who_said(query))
    await bot_env.settle()
    return message


async def quotes(
    bot_env: BotEnv, sub: str, options: dict[str, Any] | None = None, user: int = MOD, **where: Any
) -> Message:
    interaction = await bot_env.server.slash(
        user, "quotes", options or {}, subcommand=sub, **{**bot_env.where, **where}
    )
    message = await interaction.wait_message(timeout=30)
    await bot_env.settle()
    return message


def attachment(bot_env: BotEnv, message: Message, suffix: str) -> bytes:
    [found] = [a for a in message.attachments if a["filename"].endswith(suffix)]
    return bot_env.server.cdn[found["url"].split("/attachments/", 1)[1]]


async def test_members_are_refused_every_quotes_command(bot_env: BotEnv) -> None:
    with session_scope(bot_env.app.engine) as session:
        CuratedQuotes(session, str(GUILD)).save(CHICKENS_ID, actor=str(MOD))
    export = json.dumps({"quotes": []})
    calls: list[tuple[str, dict[str, Any]]] = [
        ("save", {"passage": CONDEMN_ID}),
        ("list", {}),
        ("remove", {"quote": "1"}),
        ("export", {}),
        ("import", {"file": {"filename": "quotes.json", "data": export}}),
    ]
    for sub, options in calls:
        reply = await quotes(bot_env, sub, options, user=OTHER)
        assert reply.ephemeral and "is for moderators" in reply.content, sub
        assert not reply.attachments
    assert [q.passage_id for q in curated(bot_env)] == [CHICKENS_ID]  # nothing saved, removed or imported
    with session_scope(bot_env.app.engine) as session:
        assert [a.action for a in session.scalars(select(AuditRow))] == ["quote.save"]


async def test_saved_quote_ranks_first_with_its_badge(bot_env: BotEnv) -> None:
    use_modlog(bot_env)
    before = await asked(bot_env, SOLIDARITY)
    assert "Exact quote" in bot_env.text(before) and "curated" not in bot_env.text(before)
    assert bot_env.rows()[-1].passage_ids[2] == CONDEMN_ID
    choices = await bot_env.server.autocomplete(
        MOD,
        "quotes",
        {"passage": "condemn Putin’s horrific war"},
        "passage",
        subcommand="save",
        **bot_env.where,
    )
    assert choices[0]["value"] == CONDEMN_ID
    reply = await quotes(
        bot_env, "save", {"passage": CONDEMN_ID, "note": "the thesis", "tags": "Solidarity, war"}
    )
    assert reply.ephemeral and "Saved curated quote #1" in reply.content
    after = await asked(bot_env, SOLIDARITY)
    assert bot_env.rows()[-1].passage_ids[0] == CONDEMN_ID
    embed = after.embeds[0]
    assert "⭐ curated" in embed["author"]["name"] and embed["author"]["name"].startswith("Exact quote")
    [field] = [f for f in embed["fields"] if f["name"] == "From the moderators"]
    assert f"saved by <@{MOD}>" in field["value"] and "the thesis" in field["value"]
    assert "solidarity, war" in field["value"]
    assert any(f"<@{MOD}> saved curated quote #1" in post for post in modlog(bot_env))


async def test_curated_paraphrase_never_outranks_an_exact_quote(bot_env: BotEnv) -> None:
    # A passage of another essay that answers the question only in other words: what the answer
    # falls back to where the exact passage is hidden.
    with session_scope(bot_env.app.engine) as session:
        PassageOverrides(session, "999").hide(CHICKENS_ID, actor="test")
    fallback = bot_env.app.who_said(CHICKENS, guild_id="999")
    other = next(q for q in fallback.results + fallback.closest if q.essay.id != "icl-2025-wv1184-ukraine")
    assert other.match == "paraphrase"
    await quotes(bot_env, "save", {"passage": other.passage_id})
    answer = await asked(bot_env, CHICKENS)
    row = bot_env.rows()[-1]
    assert row.passage_ids[0] == CHICKENS_ID
    assert answer.embeds[0]["author"]["name"].startswith("Exact quote")
    assert "curated" not in answer.embeds[0]["author"]["name"]


async def test_list_is_paginated_and_filtered(bot_env: BotEnv) -> None:
    with session_scope(bot_env.app.engine) as session:
        repo = CuratedQuotes(session, str(GUILD))
        found = [p.id for p in find_passages(session, str(GUILD), "Putin", limit=7)]
        for n, passage_id in enumerate(dict.fromkeys([CONDEMN_ID, *found])):
            repo.save(passage_id, actor=str(MOD), tags=["even" if n % 2 == 0 else "odd"])
        total = len(repo.listing())
        evens = len(repo.listing(tag="even"))
        smiths = len(repo.listing(author_essays={"smith-2022-stop-putins-war"}))
    assert total > 5
    first = await quotes(bot_env, "list")
    assert first.ephemeral and f"{total} curated quotes · page 1 of 2" in first.content
    assert f"<@{MOD}>" in first.embeds[0]["description"]
    press = await bot_env.server.click(MOD, first, bot_env.custom_id(first, "next"))
    assert (await press.response())["type"] == 7
    assert "page 2 of 2" in bot_env.server.messages[first.id].content
    tagged = await quotes(bot_env, "list", {"tag": "even"})
    assert f"{evens} curated quote" in tagged.content and "tagged even" in tagged.embeds[0]["title"]
    mine = await quotes(bot_env, "list", {"author": "Ashley Smith"})
    assert f"{smiths} curated quote" in mine.content and smiths < total
    assert "Stop Putin" in mine.embeds[0]["description"]
    tags = await bot_env.server.autocomplete(
        MOD, "quotes", {"tag": "ev"}, "tag", subcommand="list", **bot_env.where
    )
    assert [c["value"] for c in tags] == ["even"]


async def test_remove_asks_for_confirmation(bot_env: BotEnv) -> None:
    use_modlog(bot_env)
    with session_scope(bot_env.app.engine) as session:
        quote_id = CuratedQuotes(session, str(GUILD)).save(CHICKENS_ID, actor=str(MOD)).id
    choices = await bot_env.server.autocomplete(
        MOD, "quotes", {"quote": "chickens"}, "quote", subcommand="remove", **bot_env.where
    )
    assert choices[0]["value"] == str(quote_id)
    prompt = await quotes(bot_env, "remove", {"quote": str(quote_id)})
    assert prompt.ephemeral and "Remove this curated quote?" in prompt.content
    cancel = await bot_env.server.click(MOD, prompt, bot_env.custom_id(prompt, "cancel"))
    await cancel.response()
    assert len(curated(bot_env)) == 1
    prompt = await quotes(bot_env, "remove", {"quote": f"#{quote_id}"})
    confirm = await bot_env.server.click(MOD, prompt, bot_env.custom_id(prompt, "confirm"))
    await confirm.response()
    await bot_env.settle()
    assert f"Removed curated quote #{quote_id}" in bot_env.server.messages[prompt.id].content
    assert curated(bot_env) == []
    assert any(f"<@{MOD}> removed curated quote" in post for post in modlog(bot_env))
    missing = await quotes(bot_env, "remove", {"quote": str(quote_id)})
    assert "no curated quote" in missing.content


async def test_export_then_import_into_another_server_loses_nothing(bot_env: BotEnv) -> None:
    await quotes(bot_env, "save", {"passage": CONDEMN_ID, "note": "a “note”, with, commas", "tags": "a, b"})
    await quotes(bot_env, "save", {"passage": CHICKENS_ID, "start": "the chickens", "end": "roost"})
    export = await quotes(bot_env, "export")
    assert export.ephemeral and "2 curated quotes" in export.content
    csv_text = attachment(bot_env, export, ".csv").decode()
    assert csv_text.splitlines()[0] == "id,essay_id,passage_id,start,end,text,note,tags,saved_by,saved_at"
    assert "the chickens have come home to roost" in csv_text
    document = json.loads(attachment(bot_env, export, ".json"))
    assert [q["text"] for q in document["quotes"]][1] == "the chickens have come home to roost"
    # A second server, where the same moderator imports the file.
    bot_env.server.add_guild(GUILD2, channels=[CHANNEL2])
    bot_env.server.add_member(GUILD2, MOD, "mod", permissions=member_perms() | MANAGE_MESSAGES)
    await wait_until(lambda: bot_env.client.get_guild(GUILD2), "the bot to see the second server")
    there = {"guild_id": GUILD2, "channel_id": CHANNEL2}
    data = attachment(bot_env, export, ".json")
    imported = await quotes(bot_env, "import", {"file": {"filename": "q.json", "data": data}}, **there)
    assert imported.ephemeral and "Imported 2 curated quotes." in imported.content
    again = await quotes(bot_env, "import", {"file": {"filename": "q.json", "data": data}}, **there)
    assert "Imported 0 curated quotes; 2 already here, skipped." in again.content
    back = json.loads(attachment(bot_env, await quotes(bot_env, "export", **there), ".json"))

    def strip(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in q.items() if k != "id"} for q in items]

    assert strip(back["quotes"]) == strip(document["quotes"])
    assert back["guild_id"] == str(GUILD2) and document["guild_id"] == str(GUILD)
    bad = await quotes(bot_env, "import", {"file": {"filename": "q.json", "data": b"\xff\xfe"}}, **there)
    assert "not UTF-8" in bad.content


async def test_panel_saves_a_span_with_note_and_tags(bot_env: BotEnv) -> None:
    answer = await asked(bot_env, CHICKENS)
    menu = await bot_env.server.message_command(MOD, MENU, answer, guild_id=GUILD, channel_id=CHANNEL)
    panel = await menu.wait_message()
    press = await bot_env.server.click(MOD, panel, bot_env.custom_id(panel, "save"))
    modal = (await press.response())["data"]
    start, end, note, tags = (row["components"][0]["custom_id"] for row in modal["components"])
    values = {start: "the CHICKENS", end: "to roost", note: "Malcolm X, quoted", tags: "history"}
    submitted = await bot_env.server.submit_modal(MOD, modal["custom_id"], values)
    assert (await submitted.response())["type"] == 7
    await bot_env.settle()
    assert "Saved curated quote #1" in bot_env.server.messages[panel.id].content
    assert "Curated:** #1" in bot_env.text(bot_env.server.messages[panel.id])
    [row] = curated(bot_env)
    assert (row.text, row.note, row.tags, row.saved_by) == (
        "the chickens have come home to roost",
        "Malcolm X, quoted",
        ["history"],
        str(MOD),
    )
    again = await asked(bot_env, CHICKENS)
    assert "⭐ curated" in again.embeds[0]["author"]["name"]
    # Words that are not in the passage are a clear error, and nothing is saved.
    press = await bot_env.server.click(MOD, panel, bot_env.custom_id(panel, "save"))
    modal = (await press.response())["data"]
    start = modal["components"][0]["components"][0]["custom_id"]
    submitted = await bot_env.server.submit_modal(MOD, modal["custom_id"], {start: "no such words"})
    reply = await submitted.wait_message()
    assert reply.ephemeral and "not in that passage" in reply.content
    assert len(curated(bot_env)) == 1
