"""The command line: a thin shell over ``bot.core``, beside the Discord one."""
