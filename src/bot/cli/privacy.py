"""``essaybot forget-user USER_ID``: the admin's way to delete a Discord user's logged data.

It does what ``/privacy forget-me`` does for members. Only the database is opened (migrated first):
no embedding model, no index.
"""

from __future__ import annotations

import re

import click

from bot.errors import EssaybotError

# A Discord snowflake: an unsigned 64-bit integer, at most 20 digits.
_SNOWFLAKE = re.compile(r"[1-9][0-9]{0,19}")


def parse_user_id(text: str) -> int:
    """The Discord user id in ``text`` (digits, as Discord's "Copy User ID" gives it)."""
    from bot.core.privacy import MAX_USER_ID

    value = text.strip()
    if not _SNOWFLAKE.fullmatch(value) or int(value) > MAX_USER_ID:
        raise EssaybotError(f"not a Discord user id: {text!r} (expected digits, e.g. 80351110224678912)")
    return int(value)


@click.command("forget-user")
@click.argument("user_id")
@click.pass_context
def forget_user(ctx: click.Context, user_id: str) -> None:
    """Delete a Discord user's logged interactions and feedback (USER_ID: their numeric id)."""
    # Imported here: bot.cli.main imports this module at its end, and --help must stay fast.
    from bot.cli.main import _handle_errors

    _handle_errors(_forget)(ctx, user_id)


def _forget(ctx: click.Context, user_id: str) -> None:
    from bot.cli.main import _ensure_dir, out
    from bot.core.privacy import UserRefs, every_database, forget_user

    uid = parse_user_id(user_id)
    settings = ctx.obj.settings()
    _ensure_dir(settings.data_dir)
    # Both forms, so that rows logged before hash_user_ids was switched are found too.
    refs = UserRefs(settings.data_dir, hashed=settings.hash_user_ids).candidates(uid)
    deleted = forget_user(every_database(settings), refs)
    out.print(f"deleted {deleted} logged row{'s' if deleted != 1 else ''} for Discord user {uid}")
