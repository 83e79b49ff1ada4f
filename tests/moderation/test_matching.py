"""The matcher on its own: normalisation, evasions, whole words, allow-list, masking, terms."""

from __future__ import annotations

import itertools
import random

import pytest

from hutong.moderation import matching as matching_module
from hutong.moderation import normalise as normalise_module
from hutong.moderation.matching import Action, InvalidTerm, Matcher, Rule, normalise_term
from hutong.moderation.normalise import (
    MARK,
    MARK_UTF8,
    Origins,
    folding,
    is_word_char,
    normalise,
    normalise_marked,
    normalise_marked_utf8,
    without_marks,
    word_break_before,
)
from tests.moderation.corpus import ALLOW, RULES, clean_posts, evasions


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(RULES, ALLOW)


def test_every_generated_evasion_is_caught(matcher: Matcher) -> None:
    variants = evasions()
    assert len(variants) >= 200
    missed = [
        v.text
        for v in variants
        if v.rule.id not in {m.rule.id for m in matcher.scan(v.text).matches}
    ]
    assert missed == [], f"recall {1 - len(missed) / len(variants):.3f}"


def test_no_ordinary_post_matches(matcher: Matcher) -> None:
    posts = clean_posts()
    assert len(posts) >= 1000
    assert any("scampi" in p.lower() for p in posts)  # the near misses are really there
    assert any("Scunthorpe" in p for p in posts)
    assert any("赌气" in p for p in posts)
    assert all(len(p) <= 140 for p in posts)
    flagged = {p: [m.text for m in s.matches] for p in posts if not (s := matcher.scan(p)).clean}
    assert flagged == {}


def test_masked_evasions_leave_nothing_of_the_term(matcher: Matcher) -> None:
    for v in evasions():
        scan = matcher.scan(v.text)
        if scan.action is not Action.MASK:
            continue
        assert len(scan.text) == len(v.text)
        norm_rule = normalise(v.rule.term)
        assert norm_rule not in normalise(scan.text), (v.text, scan.text)
        # Only the matched span changed; the rest of the sentence is intact.
        m = next(m for m in scan.matches if m.rule.id == v.rule.id)
        assert scan.text[: m.start] == v.text[: m.start]
        assert scan.text[m.end :] == v.text[m.end :]
        assert set(scan.text[m.start : m.end]) == {"*"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("c.a.s.i.n.o", "casino"),
        ("ｃａｓｉｎｏ", "casino"),
        ("c\u200ba\u200bs\u200bi\u200bn\u200bo", "casino"),
        ("CaSiNo", "casino"),
        ("cásínö", "casino"),
        ("𝐜𝐚𝐬𝐢𝐧𝐨", "casino"),
        ("Straße", "strasse"),
        ("ﬁne", "fine"),
        ("赌 · 博", "赌博"),
        ("赌\u3000博！", "赌博"),
        ("ｶｼﾞﾉ", "カシノ"),  # half-width katakana to full-width; the voicing mark is dropped
        ("한국어", "한국어"),
        ("", ""),
        ("… ！？", ""),
    ],
)
def test_normalisation(text: str, expected: str) -> None:
    assert normalise(text) == expected
    if expected:
        start, end = Origins(text, normalise_marked_utf8(text)).span(0, len(expected.encode()))
        assert normalise(text[start:end]) == expected


def test_offsets_map_every_normalised_character_back() -> None:
    rng = random.Random(3)
    pools = [(0x20, 0x7F), (0xA0, 0x2FF), (0x2000, 0x206F), (0x3000, 0x30FF), (0x4E00, 0x4FFF)]
    pools += [(0xFF00, 0xFFEF), (0x1D400, 0x1D7FF), (0x1F300, 0x1F6FF), (0x24B6, 0x24FF)]
    pools += [(0x20000, 0x20FFF), (0xFB00, 0xFB4F), (0x3300, 0x33FF)]
    # Text that folds one character to one is mapped through the marked text: over half.
    plain = [(0x20, 0x7F), (0x4E00, 0x4FFF), (0x3000, 0x3003), (0x1F600, 0x1F64F)]
    aligned = 0
    for i in range(3000):
        chosen = plain if i % 2 else pools
        text = "".join(chr(rng.randint(*rng.choice(chosen))) for _ in range(rng.randint(0, 40)))
        norm = normalise(text)
        origins = Origins(text, normalise_marked_utf8(text))
        aligned += normalise_module._aligned(text)
        origin = []
        at = 0  # in bytes
        for ch in norm:
            start, end = origins.span(at, at + len(ch.encode()))
            assert end == start + 1  # one normalised character comes from one original
            origin.append(start)
            at += len(ch.encode())
        assert len(origin) == len(norm)
        assert origin == sorted(origin)
        # Folding each original character alone gives back the normalised text.
        pieces = {i: normalise(text[i]) for i in set(origin)}
        assert "".join(pieces[i] for i in sorted(pieces)) == norm, repr(text)
        assert all(normalise(text[i]) for i in set(origin))
        assert not any(normalise(ch) for i, ch in enumerate(text) if i not in pieces)
    assert 1500 < aligned < 2500  # the plain half, and some of the rest


def test_word_breaks_are_found_where_separators_were() -> None:
    text = "Hi, ｙｏｕ·there\u200bnow😀!"
    marked = normalise_marked_utf8(text)
    norm = marked.replace(MARK_UTF8, b"")
    assert norm == b"hiyoutherenow"
    breaks = {j for j in range(len(norm) + 1) if word_break_before(marked, norm, j)}
    assert breaks == {2, 5, 13}  # after "hi", after "you", and at the end
    rng = random.Random(5)
    for _ in range(500):
        # Few letters, so that the same two often stand both together and apart.
        text = "".join(rng.choice("ab .,-😀\u200bＣ赌") for _ in range(rng.randint(0, 40)))
        marked = normalise_marked_utf8(text)
        # Right after each mark: the lengths (in bytes) of the pieces before it, added up.
        expected = set(itertools.accumulate(map(len, marked.split(MARK_UTF8)[:-1])))
        norm = marked.replace(MARK_UTF8, b"")
        assert {j for j in range(len(norm) + 1) if word_break_before(marked, norm, j)} == expected


def test_whole_word_terms_match_only_whole_words() -> None:
    m = Matcher([Rule(1, "scam", "fraud", Action.BLOCK, whole_word=True)])
    for text in ["scam", "a scam!", "S.C.A.M", "ｓｃａｍ", "这是scam吧", "(scam)", "s c a m now"]:
        assert m.scan(text).action is Action.BLOCK, text
    near_misses = ["scampi", "scams", "is campus", "Scamander", "mascam", "scam\u0301pi"]
    for text in [*near_misses, "жscam", "scamжи", "ΩSCAM"]:  # letters of other scripts too
        assert m.scan(text).clean, text
    # The same word without whole_word matches inside other words too.
    anywhere = Matcher([Rule(1, "scam", "fraud", Action.BLOCK)])
    assert anywhere.scan("scampi").action is Action.BLOCK


def test_allow_list_suppresses_only_the_matches_it_covers() -> None:
    m = Matcher([Rule(1, "cunt", "abuse", Action.MASK)], ["Scunthorpe"])
    assert m.scan("Scunthorpe United").clean
    assert m.scan("S.c.u.n.t.h.o.r.p.e").clean
    scan = m.scan("Scunthorpe, you cunt")
    assert scan.text == "Scunthorpe, you ****"
    assert [(x.start, x.end) for x in scan.matches] == [(16, 20)]


def test_block_beats_review_beats_mask_and_category_is_reported() -> None:
    rules = [
        Rule(1, "money", "spam", Action.MASK),
        Rule(2, "free money", "spam-review", Action.REVIEW),
        Rule(3, "free money now", "fraud", Action.BLOCK),
    ]
    m = Matcher(rules)
    assert (m.scan("money").action, m.scan("money").text) == (Action.MASK, "*****")
    review = m.scan("get FREE money!")
    assert (review.action, review.category) == (Action.REVIEW, "spam-review")
    assert review.text == "get FREE *****!"  # mask terms still masked in held content
    block = m.scan("free  money now")
    assert (block.action, block.category) == (Action.BLOCK, "fraud")
    assert {x.rule.id for x in block.matches} == {1, 2, 3}


def test_masking_covers_original_spans_including_separators_and_overlaps() -> None:
    m = Matcher([Rule(1, "傻逼", "abuse", Action.MASK), Rule(2, "逼格", "abuse", Action.MASK)])
    assert m.scan("你这傻·逼格调").text == "你这****调"
    emoji = Matcher([Rule(1, "idiot", "abuse", Action.MASK)])
    assert emoji.scan("😀 𝐢𝐝𝐢𝐨𝐭 😀").text == "😀 ***** 😀"
    assert emoji.scan("ID\u200bIOT!").text == "******!"


def test_same_term_in_several_rules_and_spellings_is_one_pattern() -> None:
    m = Matcher(
        [
            Rule(1, "casino", "gambling", Action.MASK),
            Rule(2, "ＣＡＳＩＮＯ", "spam", Action.BLOCK),
        ]
    )
    scan = m.scan("casino")
    assert (scan.action, scan.category) == (Action.BLOCK, "spam")
    assert {x.rule.id for x in scan.matches} == {1, 2}


def test_an_empty_matcher_allows_everything() -> None:
    m = Matcher([])
    assert m.scan("anything at all 赌博").clean


@pytest.mark.parametrize(
    ("term", "whole_word", "message"),
    [
        ("", False, "empty"),
        ("   ", False, "empty"),
        ("x" * 65, False, "longer than"),
        ("...", False, "no letters"),
        ("😀😀", False, "no letters"),
        ("\u200b\u200b", False, "no letters"),
        ("cas.*no", False, "literal text"),
        ("^scam$", False, "literal text"),
        ("[abc]", False, "literal text"),
        ("a", False, "too short"),
        ("Ｘ", False, "too short"),
        ("赌博", True, "whole-word"),
    ],
)
def test_unusable_terms_are_typed_errors(term: str, whole_word: bool, message: str) -> None:
    with pytest.raises(InvalidTerm) as info:
        normalise_term(term, whole_word=whole_word)
    assert message in info.value.detail
    assert info.value.status == 422
    assert info.value.fields == {"term": info.value.detail}


def test_single_cjk_character_is_a_usable_term() -> None:
    assert normalise_term("毒") == "毒"
    assert normalise_term(" C.A.S.I.N.O ", whole_word=True) == "casino"


def test_stored_terms_that_no_longer_normalise_are_skipped_not_fatal() -> None:
    m = Matcher([Rule(1, "...", "x", Action.BLOCK), Rule(2, "casino", "g", Action.BLOCK)])
    assert [s.rule.id for s in m.skipped] == [1]
    assert m.rule_count == 1
    assert m.scan("casino").action is Action.BLOCK


def _reference(text: str) -> str:
    """The definition the fast path must equal: astral characters folded, then the table."""
    tables = normalise_module._tables()
    return normalise_module._ASTRAL.sub(normalise_module._fold_astral, text).translate(tables.folds)


def test_the_fast_path_equals_the_fold_table_for_every_character() -> None:
    for code in range(0x10000):
        ch = chr(code)
        assert normalise_marked(ch) == _reference(ch), hex(code)
        assert normalise_marked(f"A{ch}b，") == _reference(f"A{ch}b，"), hex(code)


def test_the_fast_path_equals_the_fold_table_beyond_the_bmp() -> None:
    # Emoji take the fast path as separators once seen; mathematical letters, unassigned
    # code points and CJK extensions do not.
    for code in [*range(0x10000, 0x20000), *range(0x20000, 0x110000, 97)]:
        ch = chr(code)
        for text in (f"A{ch}b，赌", f"{ch}😀{ch}"):
            assert normalise_marked(text) == _reference(text), hex(code)


def test_the_fast_path_equals_the_fold_table_on_mixed_text() -> None:
    rng = random.Random(9)
    pools = [(0x20, 0x7F), (0x20, 0x7F), (0x4E00, 0x9FA5), (0x3000, 0x303F), (0xFF00, 0xFFEF)]
    pools += [(0x1F300, 0x1F6FF), (0x1D400, 0x1D7FF), (0xC0, 0x17F), (0x200B, 0x200F)]
    for _ in range(5000):
        n = rng.randint(0, 60)
        text = "".join(chr(rng.randint(*rng.choice(pools))) for _ in range(n))
        assert normalise_marked(text) == _reference(text), repr(text)
        unmarked = without_marks(folding(text))
        assert unmarked == _reference(text).replace(MARK, "").encode(), repr(text)
    for post in clean_posts() + [e.text for e in evasions()]:
        assert normalise_marked(post) == _reference(post)


def test_silent_characters_after_a_separator_take_the_fast_path() -> None:
    tables = normalise_module._tables()
    # An emoji with its variation selector, a ZWJ sequence, CJK punctuation then a zero-width
    # space: marked like any separator, the silent characters dropped.
    for text, marked in [
        ("赌☀️博", "赌\x01博"),
        ("a👨\u200d👩b", "a\x01\x01b"),
        ("赌，\u200b博", "赌\x01博"),
    ]:
        assert not tables.odd.search(text), repr(text)
        assert normalise_marked(text) == marked == _reference(text)
    # Silent characters anywhere else are odd: removed on the way round.
    for text in ["c\u200ba", "\u200b赌博", "e\u0301", ".\u200bx", "❤️\u200d🔥"]:
        assert tables.odd.search(text), repr(text)
        assert normalise_marked(text) == _reference(text)
    m = Matcher(RULES, ALLOW)
    assert m.scan("快来赌☀️博").action is Action.BLOCK
    assert m.scan("you 👍️ scam 👍️").text == "you 👍️ **** 👍️"


def test_whole_word_tests_agree_with_the_marks() -> None:
    """The near-miss test finds the right occurrence even when the same letters come first."""
    rng = random.Random(12)
    for _ in range(2000):
        text = "".join(rng.choice("ass  .l😀赌жＡ\u200b") for _ in range(rng.randint(1, 30)))
        marked = normalise_marked_utf8(text)
        norm = marked.replace(MARK_UTF8, b"")
        breaks = set(itertools.accumulate(map(len, marked.split(MARK_UTF8)[:-1])))
        chars = norm.decode()
        starts = list(itertools.accumulate((len(c.encode()) for c in chars), initial=0))
        for a, b in itertools.combinations(range(len(chars) + 1), 2):
            s, e = starts[a], starts[b]
            left = a == 0 or s in breaks or not is_word_char(chars[a - 1])
            right = b == len(chars) or e in breaks or not is_word_char(chars[b])
            assert matching_module._whole_word(marked, norm, s, e) == (left and right), (
                repr(text),
                a,
                b,
            )


def test_near_miss_tests_stay_linear_on_long_repetitive_text() -> None:
    # The letters of every check come many times before their place in the marked text.
    text = "la " * 2000 + "class " * 2000
    marked = normalise_marked_utf8(text)
    norm = marked.replace(MARK_UTF8, b"")
    breaks = set(itertools.accumulate(map(len, marked.split(MARK_UTF8)[:-1])))
    for j in range(4000, len(norm), 97):
        assert word_break_before(marked, norm, j) == (j in breaks), j
    m = Matcher([Rule(1, "ass", "abuse", Action.MASK, whole_word=True)])
    assert m.scan(text).clean
    assert m.scan(text + " ass").text == text + " ***"
