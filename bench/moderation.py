"""Term matching throughput: 140-character posts against 10,000 terms, and evasion recall.

    python bench/moderation.py [--posts 20000] [--terms 10000] [--rounds 5]

* `posts_per_s` — 140-character mixed CJK/Latin posts through the full path Hutong runs on
  every text (`Matcher.scan`: normalise, Aho–Corasick with overlapping matches, allow-list,
  whole-word tests, offsets and masking where something matched), best of `--rounds`.
* `bare_scan_posts_per_s` — ahocorasick-rs alone, on the same raw posts with an automaton of
  the same normalised terms, in the same rounds: the ceiling. `ratio` is the first over this.
  The matcher scans the normalised text as UTF-8 bytes (`BytesAhoCorasick`, which neither
  encodes a `str` nor maps byte offsets back to characters); `bare_utf8_scan_posts_per_s`
  is that scan alone, on the posts already encoded, for comparison.
* `evasion_recall` — share of the generated evasion variants (`tests/moderation/corpus.py`,
  the same corpus the tests use) caught by the rule they spell, with the 10,000-term list.
* `clean_false_positives` — ordinary posts from the tests' clean corpus that match anything in
  the realistic term list (`corpus.RULES` + allow-list).

About 5% of the benchmark posts carry an evasive spelling of a listed term, and the clean text
is the tests' corpus, whose English carries near misses (class, Bass, Scunthorpe, campus), so
the slow path (whole-word tests, allow-list, offsets, masking) is part of the figure:
`matched_share` is the share that matched, `raw_hit_share` the share that left the fast path.
Runs in one process on one core; prints one JSON object.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common as c

c.ensure_venv()

import ahocorasick_rs  # noqa: E402

from hutong.moderation.matching import AUTOMATON, Action, Matcher, Rule, normalise_term  # noqa: E402
from hutong.moderation.normalise import normalise, warm  # noqa: E402
from tests.moderation.corpus import ALLOW, RULES, clean_posts, evasions  # noqa: E402

LATIN = "abcdefghijklmnopqrstuvwxyz"


def term_list(n: int, rng: random.Random) -> list[Rule]:
    """The realistic rules plus synthetic CJK and Latin terms up to `n`, every action."""
    rules = list(RULES)
    seen = {normalise_term(r.term) for r in rules}
    actions = list(Action)
    while len(rules) < n:
        if rng.random() < 0.6:
            term = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(2, 4)))
            whole = False
        else:
            term = "".join(rng.choices(LATIN, k=rng.randint(5, 10)))
            whole = rng.random() < 0.3
        norm = normalise_term(term, whole_word=whole)
        if norm in seen:
            continue
        seen.add(norm)
        rules.append(Rule(len(rules) + 1, term, "synthetic", rng.choice(actions), whole))
    return rules


def bench_posts(n: int, rng: random.Random) -> list[str]:
    """`n` posts of exactly 140 characters; about 5% carry an evasive spelling of a term."""
    base = clean_posts(2000, seed=rng.randint(0, 1 << 30))
    variants = evasions()
    posts = []
    for _ in range(n):
        text = rng.choice(base)
        while len(text) < 140:
            text += " " + rng.choice(base)
        if rng.random() < 0.05:
            spelling = rng.choice(variants).text
            at = rng.randint(0, 140 - len(spelling))
            text = text[:at] + spelling + text[at:]
        posts.append(text[:140])
    return posts


def rate(fn: Callable[[str], object], texts: list[str]) -> tuple[float, float]:
    """Posts per second of wall-clock time and of this process's CPU time.

    Each round gets fresh string objects, as requests do: CPython caches a string's UTF-8 form,
    which ahocorasick-rs reads, so re-scanning the same objects would flatter the bare scan.
    """
    posts = [(t + "x")[:-1] for t in texts]
    wall, cpu = time.perf_counter(), time.process_time()
    for p in posts:
        fn(p)
    return len(posts) / (time.perf_counter() - wall), len(posts) / (time.process_time() - cpu)


def rate_utf8(automaton: ahocorasick_rs.BytesAhoCorasick, encoded: list[bytes]) -> float:
    """Posts per second of wall-clock time, scanning UTF-8 bytes (fresh objects, as above)."""
    posts = [bytes(bytearray(b)) for b in encoded]
    wall = time.perf_counter()
    for p in posts:
        automaton.find_matches_as_indexes(p, overlapping=True)
    return len(posts) / (time.perf_counter() - wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    started = time.perf_counter()
    warm()
    table_s = time.perf_counter() - started
    rules = term_list(args.terms, rng)
    started = time.perf_counter()
    matcher = Matcher(rules, ALLOW)
    build_s = time.perf_counter() - started
    patterns = [normalise_term(r.term, whole_word=r.whole_word) for r in rules] + ALLOW
    bare = ahocorasick_rs.AhoCorasick(patterns, implementation=AUTOMATON)
    bare_utf8 = ahocorasick_rs.BytesAhoCorasick(
        [p.encode() for p in patterns], implementation=AUTOMATON
    )
    posts = bench_posts(args.posts, rng)
    c.note(f"{len(rules)} terms, {len(posts)} posts; matcher built in {build_s:.3f} s")

    def bare_scan(text: str) -> object:
        return bare.find_matches_as_indexes(text, overlapping=True)

    encoded = [p.encode() for p in posts]

    full_rates, bare_rates, full_cpu, bare_cpu = [], [], [], []
    for i in range(args.rounds):
        wall, cpu = rate(matcher.scan, posts)
        full_rates.append(wall)
        full_cpu.append(cpu)
        wall, cpu = rate(bare_scan, posts)
        bare_rates.append(wall)
        bare_cpu.append(cpu)
        c.note(f"round {i + 1}: full {full_rates[-1]:,.0f}/s, bare {bare_rates[-1]:,.0f}/s")
    utf8_rates = [rate_utf8(bare_utf8, encoded) for _ in range(args.rounds)]
    matched = sum(not matcher.scan(p).clean for p in posts) / len(posts)
    # Posts that leave the fast path: anything the automaton reports, including near misses
    # of whole-word terms ("ass" in "class") and allow-listed phrases, before they are ruled out.
    raw_hits = sum(
        bool(bare.find_matches_as_indexes(normalise(p), overlapping=True)) for p in posts
    )

    variants = evasions()
    caught = sum(v.rule.id in {m.rule.id for m in matcher.scan(v.text).matches} for v in variants)
    realistic = Matcher(RULES, ALLOW)
    clean = clean_posts()
    false_positives = sum(not realistic.scan(p).clean for p in clean)

    best_full, best_bare = max(full_rates), max(bare_rates)
    results = {
        "posts_per_s": round(best_full),
        "bare_scan_posts_per_s": round(best_bare),
        "ratio": round(best_full / best_bare, 3),
        "posts_per_s_median": round(statistics.median(full_rates)),
        "bare_scan_posts_per_s_median": round(statistics.median(bare_rates)),
        "ratio_median": round(statistics.median(full_rates) / statistics.median(bare_rates), 3),
        "bare_utf8_scan_posts_per_s": round(max(utf8_rates)),
        # Per second of this process's CPU time: less disturbed by other load on the machine.
        "posts_per_cpu_s": round(max(full_cpu)),
        "bare_scan_posts_per_cpu_s": round(max(bare_cpu)),
        "evasion_recall": round(caught / len(variants), 4),
        "evasion_variants": len(variants),
        "clean_false_positives": false_positives,
        "clean_posts": len(clean),
        "terms": matcher.rule_count,
        "post_chars": 140,
        "posts": len(posts),
        "matched_share": round(matched, 3),
        "raw_hit_share": round(raw_hits / len(posts), 3),
        "matcher_build_s": round(build_s, 3),
        "unicode_table_build_s": round(table_s, 3),
    }
    c.emit(
        c.report(
            "moderation",
            results,
            commit=c.git_commit()["commit"],
            load_average=[round(x, 2) for x in os.getloadavg()],
        )
    )


if __name__ == "__main__":
    main()
