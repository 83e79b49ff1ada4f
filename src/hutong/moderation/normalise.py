"""Text normalisation for matching, with a map back to the original text.

Each character of the original is folded on its own: NFKC (which also turns full-width forms
into half-width ones and `𝐜`, `ⓒ`, `ｃ` into `c`), case folding, diacritics dropped (NFKD, marks
removed, recomposed), and removed entirely when it is a separator, punctuation, symbol, control,
format (zero-width) or combining character. So `c.a.s.i.n.o`, `ｃａｓｉｎｏ`, `C a S i N o`,
`c\u200ba\u200bs\u200bi\u200bn\u200bo` and `cásìnö` all become `casino`, and `赌 · 博` becomes
`赌博`.

Folding per character is what makes the offset map exact: every normalised character comes from
exactly one original character. Every text is checked, so the common path must cost about as
much as the scan itself; it is one `str.translate` over a table for the BMP, built once per
process. Characters beyond the BMP (emoji, mathematical letters) are rare and are folded first
by a regular expression. The translation keeps one `MARK` where a separating character
(space, punctuation, symbol) was dropped: whole-word matching needs to know where words ended
once the spaces are gone, and most texts never need more than that.

Only a text that matched something pays for `origin`, the map back to the original, built from
a second table of per-character lengths in C-level loops.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

# A translate value: an ordinal (unchanged), a replacement string, or None (removed).
TableValue = int | str | None

MARK = "\x01"  # in marked text: a separating character was dropped here
_REMOVED = frozenset("ZPSCM")  # major Unicode categories dropped from normalised text
_BMP_SIZE = 0x10000
# Length codes, one per original character: dropped, or kept as 1, 2, … characters.
_DROPPED, _KEPT_1 = "\x00", "\x02"


def fold_char(ch: str) -> str:
    """The normalised form of one character ("" when it is dropped)."""
    s = unicodedata.normalize("NFKC", ch).casefold()
    s = unicodedata.normalize("NFKD", s)
    kept = "".join(c for c in s if unicodedata.category(c)[0] not in _REMOVED)
    return unicodedata.normalize("NFKC", kept) if kept else ""


def separates(ch: str) -> bool:
    """Whether a dropped character still separates words (space, punctuation, symbol)."""
    cat = unicodedata.category(ch)
    return cat[0] in "ZPS" or cat == "Cc"


def _marked(ch: str) -> str:
    return fold_char(ch) or (MARK if separates(ch) else "")


def _length_code(piece: str) -> str:
    kept = piece.replace(MARK, "")
    return chr(ord(_KEPT_1) - 1 + len(kept)) if kept else _DROPPED


class _AstralFolds(dict[str, str]):
    """Characters beyond the BMP, folded on first sight."""

    def __missing__(self, ch: str) -> str:
        value = _marked(ch)
        self[ch] = value
        return value


class _AstralCodes(dict[str, str]):
    def __missing__(self, ch: str) -> str:
        # Exactly what `normalise_marked` makes of it: folded, then through the BMP table.
        code = _length_code(_astral_folds[ch].translate(_tables().folds))
        self[ch] = code
        return code


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_astral_folds = _AstralFolds()
_astral_codes = _AstralCodes()


def _fold_astral(match: re.Match[str]) -> str:
    return _astral_folds[match.group()]


def _code_astral(match: re.Match[str]) -> str:
    return _astral_codes[match.group()]


@dataclass(frozen=True, slots=True)
class _Tables:
    folds: list[TableValue]  # per BMP character: for `str.translate`
    codes: list[str]  # per BMP character: its length code, for offsets
    # The fast path handles only characters that are unchanged, or dropped with a mark:
    special: re.Pattern[str]  # any other character (so: take the table path)
    separators: re.Pattern[str]  # non-ASCII characters dropped with a mark
    silent: re.Pattern[str]  # characters dropped without one (zero-width, variation selectors)
    ascii: bytes  # `bytes.translate` table for the ASCII characters


def _char_class(codes: list[int]) -> str:
    """A regular-expression character class body for sorted code points, as ranges."""
    parts: list[str] = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        first, last = re.escape(chr(codes[i])), re.escape(chr(codes[j]))
        parts.append(first if i == j else f"{first}-{last}")
        i = j + 1
    return "".join(parts)


def _build() -> _Tables:
    folds: list[TableValue] = []
    codes: list[str] = []
    plain: list[int] = []  # non-ASCII characters the fast path may see
    separators: list[int] = []
    silent: list[int] = []
    for code in range(_BMP_SIZE):
        ch = chr(code)
        value = _marked(ch)
        folds.append(code if value == ch else value or None)
        codes.append(_length_code(value))
        if code >= 0x80 and value in (ch, MARK, ""):
            plain.append(code)
            if value == MARK:
                separators.append(code)
            elif not value:
                silent.append(code)
    ascii_map = bytearray(range(256))
    for code in range(0x80):
        ascii_map[code] = ord(_marked(chr(code)))  # every ASCII character folds to one
    return _Tables(
        folds,
        codes,
        re.compile(f"[^\\x00-\\x7f{_char_class(plain)}]"),
        re.compile(f"[{_char_class(separators)}]"),
        re.compile(f"[{_char_class(silent)}]"),
        bytes(ascii_map),
    )


_lock = threading.Lock()
_built: list[_Tables] = []


def _tables() -> _Tables:
    """The tables for U+0000–U+FFFF (~0.3 s, once per process).

    Built under a lock because matchers are compiled in worker threads.
    """
    if not _built:
        with _lock:
            if not _built:
                _built.append(_build())
    return _built[0]


def warm() -> None:
    """Build the tables now (at start-up) rather than on the first text."""
    _tables()


def normalise_marked(text: str) -> str:
    """The normalised text with a `MARK` wherever a separating character was dropped.

    Equal, character by character, to translating through the fold table. Most text holds
    only ASCII, characters that stay as they are (CJK) and separators; for it, a regular
    expression marks the non-ASCII separators and one `bytes.translate` folds the ASCII, at
    about half the cost of `str.translate` (which looks each character up in Python).
    """
    t = _tables()
    if text.isascii():
        return text.encode().translate(t.ascii).decode()
    if _ASTRAL.search(text):
        text = _ASTRAL.sub(_fold_astral, text)
    if t.special.search(text):
        # Characters beyond the table's end (rare CJK ideographs a fold left) stay as they are.
        return text.translate(t.folds)
    text = t.separators.sub(MARK, text)
    if t.silent.search(text):
        text = t.silent.sub("", text)
    return text.encode().translate(t.ascii).decode()


def normalise(text: str) -> str:
    """The text as terms are matched against it."""
    return normalise_marked(text).replace(MARK, "")


def word_break_before(marked: str, j: int) -> bool:
    """Whether a separating character was dropped just before normalised character `j`.

    `marked` is `normalise_marked(text)`; `j` indexes `normalise(text)`, which is `marked`
    without its marks. The character's place in `marked` is `j` plus the marks before it:
    found by counting (in C) until the count stops growing, usually in two or three steps.
    """
    p = j
    while (q := j + marked.count(MARK, 0, p + 1)) != p:
        p = q
    return p > 0 and marked[p - 1] == MARK


def origins(text: str, normalised: str) -> list[int]:
    """For each character of `normalised` (= `normalise(text)`), its index in `text`."""
    codes = text.translate(_tables().codes)
    if not codes.isascii():  # characters beyond the BMP were left as they were
        codes = _ASTRAL.sub(_code_astral, codes)
    origin = [i for i, c in enumerate(codes) if c == _KEPT_1]
    if len(origin) != len(normalised):  # some character became several (ß → ss, ﬁ → fi)
        origin = [i for i, c in enumerate(codes) for _ in range(ord(c) - ord(_KEPT_1) + 1)]
    return origin


def is_word_char(ch: str) -> bool:
    """Letters and digits of scripts that separate words with spaces (not CJK)."""
    return ch.isalnum() and ord(ch) < 0x2E80
