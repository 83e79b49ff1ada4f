"""The A–Z index of a friend list, as WeChat shows it.

A name is filed under the first letter of its first character: Latin letters as they are
(accents dropped, so "Émile" is under E), Chinese characters under the initial of their pinyin
(王 → W), everything else (digits, emoji, other scripts) under "#", which sorts last. Within a
letter, names sort by their full pinyin spelling, so 王伟 and 汪洋 sit with Wang Lei.
"""

from __future__ import annotations

import unicodedata

from pypinyin import Style, lazy_pinyin

OTHER = "#"


def _latin_initial(ch: str) -> str | None:
    base = unicodedata.normalize("NFKD", ch)[:1]
    if base.isascii() and base.isalpha():
        return base.upper()
    return None


def index_letter(name: str) -> str:
    """The index letter under which `name` is filed: A–Z or #."""
    name = name.strip()
    if not name:
        return OTHER
    first = name[0]
    if letter := _latin_initial(first):
        return letter
    initial = lazy_pinyin(first, style=Style.FIRST_LETTER, errors="ignore")
    if initial and initial[0]:
        return _latin_initial(initial[0][0]) or OTHER
    return OTHER


def sort_key(name: str) -> tuple[int, str, str]:
    """Order within the list: by letter (# last), then spelling, then the name itself."""
    letter = index_letter(name)
    spelled = "".join(lazy_pinyin(name.strip())).casefold()
    return (1 if letter == OTHER else 0, letter + spelled, name)
