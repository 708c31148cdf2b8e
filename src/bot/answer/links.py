"""Deep links that scroll a browser to the quoted words (WICG Scroll-to-Text-Fragment).

A link looks like ``https://example.org/essay#:~:text=<start>,<end>``. The browser matches the terms
case-insensitively against the rendered page text, so they must be the page's own words; we only
collapse whitespace. Inside a term, ``-``, ``,`` and ``&`` are syntax and must be percent-encoded, as
must anything outside the URL-safe set; non-ASCII is encoded as UTF-8 bytes.
"""

from __future__ import annotations

from urllib.parse import quote

# A quotation up to this many words is sent whole as ``textStart``; a longer one as its first and last
# ``EDGE_WORDS`` words (``textStart,textEnd``), which keeps links short and survives small page edits.
WHOLE_MAX_WORDS = 8
EDGE_WORDS = 4


def encode_term(term: str) -> str:
    """Percent-encode one text-fragment term: everything but unreserved ASCII, and ``-`` too."""
    # urllib leaves "-", ".", "_" and "~" alone; "-" is the fragment's prefix/suffix marker.
    return quote(term, safe="").replace("-", "%2D")


def text_fragment_url(url: str, quote_text: str) -> str:
    """``url`` with a text fragment pointing at ``quote_text``; any existing ``#fragment`` is replaced.

    The query string is kept. An empty quotation gives the bare URL.
    """
    base = url.split("#", 1)[0]
    words = quote_text.split()
    if not words:
        return base
    if len(words) <= WHOLE_MAX_WORDS:
        return f"{base}#:~:text={encode_term(' '.join(words))}"
    start, end = " ".join(words[:EDGE_WORDS]), " ".join(words[-EDGE_WORDS:])
    return f"{base}#:~:text={encode_term(start)},{encode_term(end)}"
