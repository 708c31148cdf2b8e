"""``essaybot forget-user USER_ID``: the admin's way to delete a Discord user's logged data.

It does what ``/privacy forget-me`` does for members. Only the database is opened (migrated first):
no embedding model, no index.
"""

from __future__ import annotations

import click

from bot.cli.common import context, discord_id, ensure_dir, handle_errors, out


def parse_user_id(text: str) -> int:
    """The Discord user id in ``text`` (digits, as Discord's "Copy User ID" gives it)."""
    from bot.core.privacy import MAX_USER_ID

    return int(discord_id(text, "user", maximum=MAX_USER_ID))


@click.command("forget-user")
@click.argument("user_id")
@click.pass_context
@handle_errors
def forget_user(ctx: click.Context, user_id: str) -> None:
    """Delete a Discord user's logged interactions and feedback (USER_ID: their numeric id)."""
    from bot.core.privacy import UserRefs, every_database
    from bot.core.privacy import forget_user as forget

    uid = parse_user_id(user_id)
    settings = context(ctx).settings()
    ensure_dir(settings.data_dir)
    # Both forms, so that rows logged before hash_user_ids was switched are found too.
    refs = UserRefs(settings.data_dir, hashed=settings.hash_user_ids).candidates(uid)
    deleted = forget(every_database(settings), refs)
    out.print(f"deleted {deleted} logged row{'s' if deleted != 1 else ''} for Discord user {uid}")
