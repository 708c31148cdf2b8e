"""Sending replies that never mention anyone, survive expired tokens and keep errors private."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.discord.render.answers import Rendered

log = logging.getLogger(__name__)

PUBLIC_DEFER = "essaybot_public_defer"  # Interaction.extras: a public "thinking…" placeholder is showing
NO_MENTIONS = discord.AllowedMentions.none()


async def defer(interaction: discord.Interaction, *, ephemeral: bool) -> None:
    """Acknowledge at once with "thinking…", so the 3-second deadline can never be missed."""
    await interaction.response.defer(thinking=True, ephemeral=ephemeral)
    interaction.extras[PUBLIC_DEFER] = not ephemeral


async def send(
    interaction: discord.Interaction,
    rendered: Rendered,
    *,
    ephemeral: bool,
    view: discord.ui.View | None = None,
    suppress_embeds: bool = False,
) -> int | None:
    """Answer (or fill the deferred answer); the id of the message shown, when Discord says it."""
    kwargs: dict[str, Any] = {"content": rendered.content or None, "embeds": rendered.embeds}
    if suppress_embeds:
        kwargs["suppress_embeds"] = True
    if view is not None:
        kwargs["view"] = view
    if not interaction.response.is_done():
        response = await interaction.response.send_message(
            **kwargs, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )
        return response.message_id
    if interaction.extras.get(PUBLIC_DEFER) is not None:
        # The deferred "thinking…" message becomes the answer. The marker goes only once the edit
        # has worked: while the placeholder still shows, an error must remove it, never fill it
        # (Discord fills it with the next follow-up, publicly, whatever that follow-up's flags say).
        kwargs.pop("suppress_embeds", None)  # not an edit option; answers carry no bare links
        edited = await interaction.edit_original_response(**kwargs, allowed_mentions=NO_MENTIONS)
        interaction.extras.pop(PUBLIC_DEFER, None)
        return edited.id
    followup = await interaction.followup.send(
        **kwargs, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, wait=True
    )
    return followup.id


async def send_text(
    interaction: discord.Interaction, text: str, *, ephemeral: bool = True, suppress_embeds: bool = False
) -> None:
    """A short plain-text reply."""
    await send(
        interaction, Rendered(content=text, embeds=[]), ephemeral=ephemeral, suppress_embeds=suppress_embeds
    )


async def send_error(interaction: discord.Interaction, text: str) -> None:
    """Tell the member what went wrong, privately, whatever state the interaction is in.

    After a public defer the only way to keep an error private is to remove the public
    "thinking…" placeholder and send an ephemeral follow-up instead: the first follow-up after a
    public defer replaces the placeholder, in public, whatever its ephemeral flag says. When the
    placeholder cannot be removed, the member gets no error at all rather than a public one.
    """
    try:
        if interaction.extras.get(PUBLIC_DEFER):
            try:
                await interaction.delete_original_response()
            except discord.NotFound:
                pass  # already gone (or the token expired, and the follow-up below fails too)
            except discord.HTTPException as exc:
                log.warning(
                    "could not remove the public placeholder (%s); the error stays unsaid rather than "
                    "shown to everyone",
                    _describe(exc),
                )
                return
        interaction.extras.pop(PUBLIC_DEFER, None)
        await send_text(interaction, f"⚠️ {text}", ephemeral=True)
    except (discord.NotFound, discord.Forbidden) as exc:
        # The token expired (15 minutes) or the message is gone: there is no one left to tell.
        log.info("could not deliver an error reply: %s", exc)
    except discord.HTTPException as exc:
        log.warning("could not deliver an error reply: %s", _describe(exc))


def _describe(exc: discord.HTTPException) -> str:
    """HTTP status and Discord error code: enough to tell an outage from a refusal, no traceback."""
    return f"HTTP {exc.status}, Discord code {exc.code}"
