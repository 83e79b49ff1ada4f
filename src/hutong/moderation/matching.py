"""The term matcher: many terms at once (Aho–Corasick) over normalised text.

A `Matcher` is immutable and built from the whole term list and allow-list; a list change builds
a new one and swaps it in (see `terms.py`). Checking a text:

1. normalise it without offsets (`normalise.normalise`) and scan it with ahocorasick-rs,
   reporting overlapping matches so that a mask term inside a block term cannot hide it;
2. if nothing matched — the usual case — the text is clean: no offsets, no allocation;
3. otherwise normalise again with offsets, drop matches that lie inside an allow-list match or
   that fail a whole-word test, and decide: block beats review beats mask. Masking replaces the
   original characters a mask match came from (separators in between included) by `*`.

Whole-word matching (optional per term, for alphabetic scripts) cannot look for spaces in the
normalised text, because separators are removed. A match starts (ends) at a word boundary when
it is at the edge of the text, a separating character was dropped there, or the neighbouring
character is not a letter or digit: so `scam`, `s.c.a.m` and `ｓｃａｍ!` match the term, while
`scampi` and `is campus` (normalised `iscampus`) do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import ahocorasick_rs

from hutong.core.errors import InvalidInput
from hutong.moderation.normalise import (
    MARK,
    is_word_char,
    normalise,
    normalise_marked,
    origins,
    word_break_before,
)

MAX_TERM_CHARS = 64
MAX_NORMALISED_CHARS = 256  # the width of `moderation_terms.norm`
# Terms are literal text; these characters only make sense in a pattern language.
PATTERN_CHARS = frozenset("\\^$*+?|[](){}")


class Action(StrEnum):
    MASK = "mask"
    REVIEW = "review"
    BLOCK = "block"


SEVERITY = {Action.MASK: 1, Action.REVIEW: 2, Action.BLOCK: 3}


class InvalidTerm(InvalidInput):
    code = "invalid-term"
    title = "This term cannot be used"


def normalise_term(term: str, *, whole_word: bool = False, field_name: str = "term") -> str:
    """The normalised form of a term, or `InvalidTerm` saying why it cannot be one."""

    def bad(message: str) -> InvalidTerm:
        return InvalidTerm(message, fields={field_name: message})

    if not term or not term.strip():
        raise bad("empty")
    if len(term) > MAX_TERM_CHARS:
        raise bad(f"longer than {MAX_TERM_CHARS} characters")
    if PATTERN_CHARS.intersection(term):
        raise bad("terms are literal text, not patterns (no \\ ^ $ * + ? | [ ] ( ) { })")
    norm = normalise(term)
    if len(norm) > MAX_NORMALISED_CHARS:  # a few characters expand a lot (U+FDFA: 18)
        raise bad(f"longer than {MAX_NORMALISED_CHARS} characters once normalised")
    if not norm:
        raise bad("contains no letters, digits or CJK characters once normalised")
    if len(norm) < 2 and is_word_char(norm):
        raise bad("too short: one letter or digit would match almost everything")
    if whole_word and not all(map(is_word_char, norm)):
        raise bad("whole-word matching is only for letters and digits of alphabetic scripts")
    return norm


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    term: str
    category: str
    action: Action
    whole_word: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    rule: Rule
    start: int  # span in the original text
    end: int
    text: str  # the original characters matched


class Scan(NamedTuple):
    """The outcome for one text: the strongest action among its matches, if any."""

    action: Action | None
    text: str  # the original, with mask matches replaced by `*`
    matches: tuple[Match, ...] = ()
    category: str = ""  # of the first match with the deciding action

    @property
    def clean(self) -> bool:
        return self.action is None


@dataclass(frozen=True, slots=True)
class _Entry:
    """Everything one normalised pattern stands for."""

    rules: tuple[Rule, ...] = ()  # the rules with this normalised term
    anywhere: tuple[Rule, ...] = ()  # those of them that also match inside words
    allow: bool = False  # an allow-list phrase

    def add(self, rule: Rule) -> _Entry:
        anywhere = self.anywhere if rule.whole_word else (*self.anywhere, rule)
        return _Entry((*self.rules, rule), anywhere, self.allow)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A stored term the matcher could not use (e.g. after a Unicode data change)."""

    rule: Rule
    reason: str


class Matcher:
    """An immutable compiled term list and allow-list."""

    def __init__(
        self, rules: Iterable[Rule] = (), allow: Iterable[str] = (), *, version: int = 0
    ) -> None:
        """Compile `rules` and allow-list phrases. Terms that cannot be used are skipped."""
        self.version = version
        self.skipped: list[Skipped] = []
        self.rule_count = self.allow_count = 0
        by_norm: dict[str, _Entry] = {}
        for rule in rules:
            try:
                norm = normalise_term(rule.term, whole_word=rule.whole_word)
            except InvalidTerm as exc:
                self.skipped.append(Skipped(rule, exc.detail))
                continue
            by_norm[norm] = by_norm.get(norm, _Entry()).add(rule)
            self.rule_count += 1
        for phrase in allow:
            try:
                norm = normalise_term(phrase, field_name="phrase")
            except InvalidTerm:
                continue
            entry = by_norm.get(norm, _Entry())
            by_norm[norm] = _Entry(entry.rules, entry.anywhere, allow=True)
            self.allow_count += 1
        patterns = list(by_norm)
        self._entries = [by_norm[p] for p in patterns]
        self._automaton = (
            ahocorasick_rs.AhoCorasick(
                patterns, implementation=ahocorasick_rs.Implementation.ContiguousNFA
            )
            if patterns
            else None
        )

    def scan(self, text: str) -> Scan:
        """Match `text` against every term; see the module docstring for the rules."""
        automaton = self._automaton
        if automaton is None:
            return Scan(None, text)
        marked = normalise_marked(text)
        normalised = marked.replace(MARK, "") if MARK in marked else marked
        hits = automaton.find_matches_as_indexes(normalised, overlapping=True)
        if not hits:
            return Scan(None, text)
        return self._decide(text, marked, normalised, hits)

    def _decide(
        self, text: str, marked: str, normalised: str, hits: list[tuple[int, int, int]]
    ) -> Scan:
        entries = self._entries
        allowed = [(s, e) for i, s, e in hits if entries[i].allow] if self.allow_count else []
        accepted: list[tuple[int, int, Rule]] = []
        for i, s, e in hits:
            entry = entries[i]
            rules = entry.rules
            if not rules or (allowed and _covered(allowed, s, e)):
                continue
            if len(rules) != len(entry.anywhere) and not _whole_word(marked, normalised, s, e):
                rules = entry.anywhere
            accepted.extend((s, e, rule) for rule in rules)
        if not accepted:
            return Scan(None, text)
        origin = origins(text, normalised)
        accepted.sort(key=lambda m: (m[0], -SEVERITY[m[2].action]))
        found = tuple(
            Match(rule, origin[s], origin[e - 1] + 1, text[origin[s] : origin[e - 1] + 1])
            for s, e, rule in accepted
        )
        deciding = max(found, key=lambda m: SEVERITY[m.rule.action]).rule.action
        category = next(m.rule.category for m in found if m.rule.action is deciding)
        return Scan(deciding, _mask(text, found), found, category)


def _covered(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(a <= s and e <= b for a, b in spans)


def _whole_word(marked: str, normalised: str, s: int, e: int) -> bool:
    # Most near misses ("scampi") are decided by the neighbouring characters alone.
    if s and is_word_char(normalised[s - 1]) and not word_break_before(marked, s):
        return False
    return e == len(normalised) or not is_word_char(normalised[e]) or word_break_before(marked, e)


def _mask(text: str, matches: tuple[Match, ...]) -> str:
    spans = sorted((m.start, m.end) for m in matches if m.rule.action is Action.MASK)
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if end <= pos:
            continue
        begin = max(start, pos)
        out.append(text[pos:begin])
        out.append("*" * (end - begin))
        pos = end
    out.append(text[pos:])
    return "".join(out)
