"""A local fake Discord API (REST + gateway) for wire-level tests of discord.py bots.

Typical use::

    async with fake_discord(clock=clock) as fake:
        fake.add_guild(GUILD, channels=[CHAN])
        fake.add_member(GUILD, ALICE, "alice")
        async with running_client(fake, MyClient(guild_ready_timeout=0.05)):
            interaction = await fake.slash(ALICE, "who-said", {"query": "…"}, guild_id=GUILD, channel_id=CHAN)
            message = await interaction.wait_message()
        assert not fake.rejections
"""

from .harness import FakeClock, fake_discord, request, running_client, wait_until
from .models import (
    EPHEMERAL,
    INITIAL_RESPONSE_DEADLINE,
    LOADING,
    TOKEN_LIFETIME,
    Call,
    Fault,
    Interaction,
    Message,
    Rejection,
    UploadedFile,
    iter_components,
)
from .payloads import (
    ADMINISTRATOR,
    BOT_PERMISSIONS,
    MANAGE_MESSAGES,
    MEMBER_PERMISSIONS,
    MODERATOR_PERMISSIONS,
    new_id,
)
from .server import DEFAULT_APPLICATION_ID, DEFAULT_BOT_USER_ID, FakeDiscord, GuildState
from .validate import errors_tree, is_empty_message, problems

__all__ = [
    "ADMINISTRATOR",
    "BOT_PERMISSIONS",
    "DEFAULT_APPLICATION_ID",
    "DEFAULT_BOT_USER_ID",
    "EPHEMERAL",
    "INITIAL_RESPONSE_DEADLINE",
    "LOADING",
    "MANAGE_MESSAGES",
    "MEMBER_PERMISSIONS",
    "MODERATOR_PERMISSIONS",
    "TOKEN_LIFETIME",
    "Call",
    "FakeClock",
    "FakeDiscord",
    "Fault",
    "GuildState",
    "Interaction",
    "Message",
    "Rejection",
    "UploadedFile",
    "errors_tree",
    "fake_discord",
    "is_empty_message",
    "iter_components",
    "new_id",
    "problems",
    "request",
    "running_client",
    "wait_until",
]
