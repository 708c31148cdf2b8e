"""Allow ``python -m bot``."""

from bot.program import main

if __name__ == "__main__":
    main()
