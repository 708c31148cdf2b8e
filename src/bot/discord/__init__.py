"""The Discord shell: client, command tree, one cog per feature, views and rendering to embeds.

Everything here is a thin layer over ``bot.core.essaybot.Essaybot``; answers are built by ``bot.answer``.
"""
