"""Text normalisation for matching, with a map back to the original text.

Each character of the original is folded on its own: NFKC (which also turns full-width forms
into half-width ones and `𝐜`, `ⓒ`, `ｃ` into `c`), case folding, diacritics dropped (NFKD, marks
removed, recomposed), and removed entirely when it is a separator, punctuation, symbol, control,
format (zero-width) or combining character. So `c.a.s.i.n.o`, `ｃａｓｉｎｏ`, `C a S i N o`,
`c\u200ba\u200bs\u200bi\u200bn\u200bo` and `cásìnö` all become `casino`, and `赌 · 博` becomes
`赌博`.

Folding per character is what makes the offset map exact: every normalised character comes from
exactly one original character. Every text is checked, so the common path must cost about as
much as the scan itself: see `normalise_marked_utf8`. The result keeps one `MARK` where a
separating character (space, punctuation, symbol, emoji) was dropped: whole-word matching needs
to know where words ended once the spaces are gone, and most texts never need more than that.

The matcher works on the UTF-8 bytes of the normalised text (offsets are byte offsets, see
`word_break_before`). Only a text that matched something pays for `Origins`, the map back to
the original, built from a second table of per-character lengths in C-level loops.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

# A translate value: an ordinal (unchanged), a replacement string, or None (removed).
TableValue = int | str | None

MARK = "\x01"  # in marked text: a separating character was dropped here
MARK_UTF8 = MARK.encode()
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
    # The fast path takes text whose every character is ASCII, stays as it is (CJK), or is
    # dropped with a mark (a separator: punctuation, spaces, emoji and other symbols),
    # possibly followed by BMP characters dropped without one (silent: zero-width, variation
    # selectors), as in "☀️" (U+2600 U+FE0F).
    odd: re.Pattern[str]  # any other character, or a silent one after no separator
    uneven: re.Pattern[str]  # a character that does not fold to one character or one mark
    silent: re.Pattern[str]  # BMP characters dropped without a mark
    # Non-ASCII BMP separators, and every character beyond the BMP (`odd` has made sure those
    # are separators), with the silent characters after them.
    separators: re.Pattern[str]
    ascii: bytes  # `bytes.translate` table folding ASCII (and leaving UTF-8 sequences alone)
    ascii_dropped: bytes  # ASCII characters that fold to a mark, and the mark
    kept: bytes  # `bytes.translate` table: a marked character, 1 if kept and 0 if a mark
    code_counts: bytes  # `bytes.translate` table: a length code, as the number it stands for


def _char_class(codes: list[int], *, largest_first: bool = False) -> str:
    """A regular-expression character class body for sorted code points, as ranges."""
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    if largest_first:  # tested in this order, so the common ones (emoji) first
        ranges.sort(key=lambda r: r[0] - r[1])
    return "".join(
        re.escape(chr(first))
        if first == last
        else f"{re.escape(chr(first))}-{re.escape(chr(last))}"
        for first, last in ranges
    )


def _build() -> _Tables:
    folds: list[TableValue] = []
    codes: list[str] = []
    plain: list[int] = []  # non-ASCII characters the fast path takes as they are
    separators: list[int] = []
    silent: list[int] = []
    one: list[int] = []  # non-ASCII characters that fold to one character or one mark
    for code in range(_BMP_SIZE):
        ch = chr(code)
        value = _marked(ch)
        folds.append(code if value == ch else value or None)
        codes.append(_length_code(value))
        if code >= 0x80 and value in (ch, MARK):
            plain.append(code)
            if value == MARK:
                separators.append(code)
        elif code >= 0x80 and not value:
            silent.append(code)
        if code >= 0x80 and len(value) == 1:
            one.append(code)
    # Emoji and other symbols beyond the BMP (plane 1; beyond it, ideographs and tags).
    astral = [code for code in range(0x10000, 0x20000) if _astral_folds[chr(code)] == MARK]
    ascii_map = bytearray(range(256))
    for code in range(0x80):
        ascii_map[code] = ord(_marked(chr(code)))  # every ASCII character folds to one
    # A character class is one bitmap lookup for a BMP character, and a walk through its
    # ranges beyond the BMP for any other (and for a BMP character not in the bitmap): so
    # `separators` takes all of those, which `odd` has made sure are separators.
    # A silent character is odd unless it follows a separator: the class finds it among the
    # odd ones (so the search still skips ahead through the class alone), and the look-behind
    # lets it pass after a separator. A character beyond the BMP there is a separator, or
    # itself odd and found first.
    silent_class = _char_class(silent)
    separator = f"[{_char_class(separators)}\\U00010000-\\U0010ffff]"
    return _Tables(
        folds,
        codes,
        re.compile(
            f"[^\\x00-\\x7f{_char_class(plain)}{_char_class(astral, largest_first=True)}]"
            f"(?<!{separator}[{silent_class}])"
        ),
        re.compile(f"[^\\x00-\\x7f{_char_class(one)}{_char_class(astral, largest_first=True)}]"),
        re.compile(f"[{silent_class}]"),
        re.compile(f"{separator}[{silent_class}]*+"),
        bytes(ascii_map),
        bytes(b for b in range(0x80) if ascii_map[b] == ord(MARK)),
        bytes(b != ord(MARK) for b in range(256)),
        bytes(max(0, b - ord(_KEPT_1) + 1) for b in range(256)),
    )


_lock = threading.Lock()
_built: _Tables | None = None


def _tables() -> _Tables:
    """The tables (~0.2 s, once per process).

    Built under a lock because matchers are compiled in worker threads.
    """
    global _built  # noqa: PLW0603 — built once, on first use or by `warm`
    if _built is None:
        with _lock:
            if _built is None:
                _built = _build()
    return _built


def warm() -> None:
    """Build the tables now (at start-up) rather than on the first text."""
    _tables()


def folding(text: str) -> bytes:
    """`text` on its way to normalised UTF-8, where only ASCII remains to be folded.

    `with_marks(folding(text))` is `normalise_marked(text)` in UTF-8, and `without_marks` gives
    the same without its marks: what the matcher scans. The last step is left to the caller
    so that a text that matches nothing never pays for its marked form.

    Equal to translating through the fold table. Most text holds only ASCII, characters that
    stay as they are (CJK) and separators (punctuation, emoji); for it one regular expression
    finds nothing odd, a second marks the non-ASCII separators, and one `bytes.translate`
    folds the ASCII: about a third of the cost of `str.translate`, which looks each character
    up in Python. The matcher scans the UTF-8 bytes, so ahocorasick-rs neither encodes the
    text again nor maps its byte offsets back to characters.
    """
    if text.isascii():
        return text.encode()
    t = _built or _tables()
    if t.odd.search(text):
        return _folding_odd(text, t)
    return t.separators.sub(MARK, text).encode()


def _folding_odd(text: str, t: _Tables) -> bytes:
    """`folding(text)` for text with odd characters: silent ones alone, or ones to fold."""
    text = t.silent.sub("", text)
    if not t.odd.search(text):
        return t.separators.sub(MARK, text).encode()
    if _ASTRAL.search(text):
        text = _ASTRAL.sub(_fold_astral, text)
    # Already folded (and folding again changes nothing). Characters beyond the table's end
    # (rare CJK ideographs a fold left) stay as they are.
    return text.translate(t.folds).encode()


def with_marks(folded: bytes) -> bytes:
    """The normalised UTF-8 text, with its marks, from `folding(text)`."""
    return folded.translate((_built or _tables()).ascii)


def ascii_folding() -> tuple[bytes, bytes]:
    """`bytes.translate` arguments for `with_marks` (the first) and `without_marks` (both)."""
    t = _tables()
    return t.ascii, t.ascii_dropped


def fast_path() -> tuple[Callable[[str], object], Callable[[str, str], str]]:
    """What `folding` does to text that is not all ASCII: the test for odd characters (true
    when the fast path cannot take the text), and the substitution that marks separators."""
    t = _tables()
    return t.odd.search, t.separators.sub


def without_marks(folded: bytes) -> bytes:
    """The normalised UTF-8 text, without marks, from `folding(text)`."""
    t = _built or _tables()
    return folded.translate(t.ascii, t.ascii_dropped)


def normalise_marked_utf8(text: str) -> bytes:
    """`normalise_marked(text)` encoded as UTF-8."""
    return with_marks(folding(text))


def normalise_marked(text: str) -> str:
    """The normalised text with a `MARK` wherever a separating character was dropped."""
    return normalise_marked_utf8(text).decode()


def normalise(text: str) -> str:
    """The text as terms are matched against it."""
    return normalise_marked(text).replace(MARK, "")


def word_break_before(marked: bytes, normalised: bytes, j: int) -> bool:
    """Whether a separating character was dropped just before normalised byte `j`.

    `marked` is `normalise_marked_utf8(text)`, `normalised` the same without its marks.
    Inside the text that is: bytes `j - 1` and `j` do not stand side by side in `marked`.
    """
    if 0 < j < len(normalised):
        return not side_by_side(marked, normalised, j - 1, j + 1)
    p = _index_skipping(marked, MARK_UTF8, j)
    return p > 0 and marked[p - 1] == MARK_UTF8[0]


def side_by_side(marked: bytes, normalised: bytes, start: int, end: int) -> bool:
    """Whether normalised bytes `start:end` stand together in `marked` (no mark among them).

    Usually asked of a near miss ("ass" in "class"), where they do. Each occurrence of those
    bytes in `marked` from `start` on is the normalised byte its position less the marks before
    it (counted in C); the occurrences come in order, so the first that is byte `start` or
    beyond settles it, and an earlier one (the same letters before) just moves the search on.
    """
    needle = normalised[start:end]
    at = marked.find(needle, start)
    for _ in range(_COUNTING_STEPS):
        if at < 0:
            return False
        k = at - marked.count(MARK_UTF8, 0, at)
        if k >= start:
            return k == start
        at = marked.find(needle, at + 1)
    # The same bytes over and over (long text): find byte `start` in `marked` instead.
    p = _index_skipping(marked, MARK_UTF8, start)
    return marked[p : p + len(needle)] == needle


_COUNTING_STEPS = 8


def _index_skipping(data: bytes, gap: bytes, k: int) -> int:
    """The index in `data` of byte `k` when bytes equal to `gap` are not counted.

    (`len(data)` for the end.) The index is `k` plus the gaps before it: found by counting
    (in C, each byte once) until the count stops growing, usually in two or three steps. Long
    runs of gaps make that slow, so after a few steps it walks the runs instead.
    """
    p = k
    gaps = data.count(gap, 0, p + 1)
    for _ in range(_COUNTING_STEPS):
        q = k + gaps
        if q == p:
            return p
        gaps += data.count(gap, p + 1, q + 1)
        p = q
    start = 0
    for piece in data.split(gap):
        if k < len(piece):
            return start + k
        k -= len(piece)
        start += len(piece) + 1
    return len(data)


class Origins:
    """Maps spans of the normalised text back to spans of the original.

    Spans are given in bytes of UTF-8, as the matcher finds them. Most text (nothing
    `uneven` in it: no character dropped silently or folded to several) gives exactly one
    character or one mark per original character, so where a span lies in the marked text,
    decoded, is where it lies in the original. Any other text goes through the table of
    per-character lengths: how many normalised characters each original character gave (0,
    1, or more: ß → ss).
    """

    __slots__ = ("_aligned", "_counts", "_ends", "_marked", "_normalised")

    def __init__(self, text: str, marked: bytes, normalised: bytes | None = None) -> None:
        """`marked` is `normalise_marked_utf8(text)`; `normalised` the same without marks."""
        self._marked = marked
        self._aligned = _aligned(text)
        self._counts = self._normalised = b""
        self._ends: list[int] = []
        if not self._aligned:
            t = _tables()
            codes = text.translate(t.codes)
            if not codes.isascii():  # characters beyond the BMP were left as they were
                codes = _ASTRAL.sub(_code_astral, codes)
            self._counts = codes.encode().translate(t.code_counts)
            if self._counts.translate(None, b"\x00\x01"):  # some character became several
                # _ends[i]: how many normalised characters come from text[: i + 1].
                self._ends = list(itertools.accumulate(self._counts))
            self._normalised = (
                marked.translate(None, MARK_UTF8) if normalised is None else normalised
            )

    def span(self, s: int, e: int) -> tuple[int, int]:
        """The original characters that normalised bytes `s:e` (whole characters) came from."""
        if self._aligned:
            marked = self._marked
            start = _index_skipping(marked, MARK_UTF8, s)
            end = _index_skipping(marked, MARK_UTF8, e - 1) + 1
            if marked.isascii():
                return start, end
            return len(marked[:start].decode()), len(marked[:end].decode())
        first, last = len(self._normalised[:s].decode()), len(self._normalised[:e].decode()) - 1
        if self._ends:
            return bisect.bisect_right(self._ends, first), bisect.bisect_right(self._ends, last) + 1
        # The k-th normalised character comes from the k-th character that gave one.
        counts = self._counts
        return _index_skipping(counts, b"\x00", first), _index_skipping(counts, b"\x00", last) + 1


def _aligned(text: str) -> bool:
    """Whether every character of `text` folds to one character or to a mark."""
    return not _tables().uneven.search(text)


def is_word_char(ch: str) -> bool:
    """Letters and digits of scripts that separate words with spaces (not CJK)."""
    return ch.isalnum() and ord(ch) < 0x2E80
