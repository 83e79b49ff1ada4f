"""Post text: the Weibo length counter and the entities a post links (#topics#, @mentions, URLs).

This is the one definition of "how long is a post". The composer's live counter in the browser
(`web/static/js/weibo_count.js`) implements the same algorithm and is tested under Node against
the same table of cases (`tests/microblog/weibo_count_cases.json`). Change the rules here and
there together.

Counting, as Weibo's own counter does (SPEC section 6):

* the text is measured in UTF-16 code units, as JavaScript's `String.length` sees it; a unit in
  U+0000–U+00FF counts 1 byte, any other unit 2 bytes. So an ASCII letter is 1 byte, a CJK
  character 2, and an emoji outside the Basic Multilingual Plane (two surrogate units) 4;
* every URL (see `URL_PATTERN`) of at most 140 bytes counts 20 bytes whatever its length; a
  longer one counts its length minus 120 (the 20 plus whatever exceeds 140, as Weibo does);
* length in characters (字) = ceil(bytes / 2). 140 bytes of ASCII are 70 字; 281 bytes are 141.

Entities are found in the text with every URL replaced by a line break, so that a `#` or `@`
inside a link is never a topic or a mention:

* a topic is `#…#`: 1–32 characters between two `#` that are neither `#` nor a line break and
  do not start or end with white space (`#春节#`, `#Taylor Swift#`); scanning is left to right
  and a closing `#` is not reused as an opening one. Topics are compared case-insensitively
  (NFKC + case fold), the first spelling is kept;
* a mention is `@` followed by a handle (3–20 of `A–Z a–z 0–9 _`), not preceded and not followed
  by a handle character (so `a@b.com` is no mention). Handles are returned lower-case;
* a URL is `http://` or `https://` (any case), a host with at least one dot, an optional port
  and an optional path/query/fragment of URL characters. Trailing `. , ; : ! ? ' "` are not part
  of it, nor is a trailing `)` that has no `(` to match in the URL.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

URL_BYTES = 20
URL_FULL_PRICE_ABOVE = 140
MAX_TOPIC_CHARS = 32

# Kept to the subset of regular-expression syntax that JavaScript reads the same way.
URL_PATTERN = (
    r"https?://"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
    r"(?::[0-9]{1,5})?"
    r"(?:[/?#][-A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%]*)?"
)
TOPIC_PATTERN = r"#([^#\s](?:[^#\r\n]{0,30}[^#\s])?)#"
MENTION_PATTERN = r"(?<![A-Za-z0-9_])@([A-Za-z0-9_]{3,20})(?![A-Za-z0-9_])"

_URL = re.compile(URL_PATTERN, re.IGNORECASE)
_TOPIC = re.compile(TOPIC_PATTERN)
_MENTION = re.compile(MENTION_PATTERN)
_TRAILING = ".,;:!?'\""


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a post's text contains, and how long it is by Weibo's count."""

    length: int
    urls: tuple[str, ...]
    topics: tuple[str, ...]
    mentions: tuple[str, ...]


def utf16_bytes(text: str) -> int:
    """Weibo bytes of `text` without URL pricing: 1 per unit ≤ U+00FF, 2 per other unit."""
    n = 0
    for ch in text:
        cp = ord(ch)
        n += 1 if cp <= 0xFF else 2 if cp <= 0xFFFF else 4
    return n


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING or (last == ")" and url.count(")") > url.count("(")):
            url = url[:-1]
        else:
            break
    return url


def find_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) of every URL in `text`, in order."""
    spans = []
    for m in _URL.finditer(text):
        url = _trim_url(m.group(0))
        spans.append((m.start(), m.start() + len(url)))
    return spans


def url_bytes(url: str) -> int:
    n = utf16_bytes(url)
    return URL_BYTES if n <= URL_FULL_PRICE_ABOVE else n - URL_FULL_PRICE_ABOVE + URL_BYTES


def topic_key(name: str) -> str:
    """How topics are compared: NFKC, case-folded, inner white space collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def parse(text: str) -> Parsed:
    """Count `text` the Weibo way and find its URLs, topics and mentions."""
    spans = find_urls(text)
    urls = tuple(text[a:b] for a, b in spans)
    pieces: list[str] = []
    at = 0
    for a, b in spans:
        pieces.append(text[at:a])
        at = b
    pieces.append(text[at:])
    rest = "\n".join(pieces)  # URLs become line breaks: no entity spans a link
    total = sum(url_bytes(u) for u in urls) + utf16_bytes(rest) - (len(pieces) - 1)

    topics: list[str] = []
    seen: set[str] = set()
    for m in _TOPIC.finditer(rest):
        name = m.group(1)
        key = topic_key(name)
        if key not in seen:
            seen.add(key)
            topics.append(name)
    mentions: list[str] = []
    for m in _MENTION.finditer(rest):
        handle = m.group(1).lower()
        if handle not in mentions:
            mentions.append(handle)
    return Parsed(
        length=math.ceil(total / 2), urls=urls, topics=tuple(topics), mentions=tuple(mentions)
    )


def weibo_length(text: str) -> int:
    """The length of `text` in Weibo characters (字), as the composer's counter shows it."""
    return parse(text).length
