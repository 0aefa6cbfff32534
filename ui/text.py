"""Text a person gave (a column's name, a study's name) inside the Markdown the pages write.

Streamlit renders Markdown in titles, captions and messages: links, emoji shortcodes (`:x:`), colours
(`:red[...]`) and LaTeX. A CSV's column called "[click me](http://evil.example/x) :x:" showed a live link
and an emoji on the page, and on the hosted demo on another visitor's page too (a demo check). Written as
an inline code span it is shown as typed: Markdown is not parsed inside one. Upload file names are made
safe where they are kept instead (zoo/forecast_io.safe_name).
"""
from __future__ import annotations

import re


def code(value) -> str:
    """`value` as a Markdown inline code span, shown character for character: fenced by one more backtick
    than its longest run of them, padded with a space where it starts or ends with one (CommonMark 6.1)."""
    text = " ".join(str(value).split())   # a code span is one line
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# CommonMark's backslash escapes for the punctuation Markdown (and Streamlit's LaTeX) reads; a colon before a word
# or "//" gets a zero-width space after it, so that no ":x:" becomes an emoji, ":red[...]" a colour nor
# "http://..." a link (Streamlit reads those in the text Markdown leaves, where a backslash no longer stands). Not
# before a number, which no shortcode but ":100:" and ":1234:" is: a Ray address and a time ("10.0.0.2:6379 ...
# at 10:22:46") had carried zero-width spaces into what a person copied to a terminal (a teacher's check).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>()#+!|~$])")
_SHORTCODE_START = re.compile(r":(?=[^\W\d]|[+-]|//|\d+[^\W\d]|100:|1234:)")


def plain(text) -> str:
    """A sentence that may quote what a person gave (a note of the CSV reader's naming a column), shown as it
    is written: no link, emphasis, emoji, colour or formula made of it."""
    # (the colons first: escaped first, ":+1:" had read ":\+1:", which the rule did not match)
    escaped = _MARKDOWN.sub(r"\\\1", _SHORTCODE_START.sub(":\u200b", str(text)))
    return re.sub(r"(?i)\bwww\.", "www\u200b.", escaped)   # nor a "www." autolink
