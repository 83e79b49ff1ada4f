"""The Weibo counter and entity finder against the table the browser's counter shares."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hutong.microblog.text import parse, topic_key, weibo_length

HERE = Path(__file__).parent
TABLE = HERE / "weibo_count_cases.json"
CASES: list[dict[str, Any]] = json.loads(TABLE.read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_shared_table(case: dict[str, Any]) -> None:
    parsed = parse(case["text"])
    assert parsed.length == case["length"]
    assert weibo_length(case["text"]) == case["length"]
    for key in ("urls", "topics", "mentions"):
        if key in case:
            assert list(getattr(parsed, key)) == case[key], key


def test_table_covers_the_tricky_kinds() -> None:
    names = " ".join(c["name"] for c in CASES)
    for needle in ("CJK", "ASCII", "emoji", "URL", "140.5", "mix"):
        assert needle in names


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed")
def test_reference_javascript_port_passes_the_same_table() -> None:
    out = subprocess.run(
        ["node", str(HERE / "weibo_count.mjs"), str(TABLE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{len(CASES)}/{len(CASES)} cases pass" in out.stdout


def test_topic_keys_fold_width_and_case() -> None:
    assert topic_key("ＳＰＲＩＮＧ  Festival") == topic_key("spring festival") == "spring festival"
    assert topic_key("春节") == "春节"
