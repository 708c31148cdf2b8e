"""essaybot: who said what, quoted exactly, from a shared library of essays."""

__version__ = "0.1.0"
