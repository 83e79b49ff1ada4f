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
CLIENT_COUNTER = HERE.parents[1] / "src" / "hutong" / "web" / "static" / "js" / "weibo_count.js"
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


# The browser composer's counter, run under Node against the same table. The script imports
# the very module the client ships, so the page and the server cannot drift apart.
_NODE_RUNNER = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [modulePath, tablePath] = process.argv.slice(1);
const counter = await import(pathToFileURL(modulePath).href);
const table = JSON.parse(readFileSync(tablePath, "utf8"));
const results = table.cases.map((c) => ({
  name: c.name,
  parsed: counter.parse(c.text),
  length: counter.count(c.text, table.max_length).length,
}));
process.stdout.write(JSON.stringify(results));
"""


def test_the_browser_counter_passes_the_same_table() -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed to test the browser's counter"
    out = subprocess.run(
        [node, "--input-type=module", "-e", _NODE_RUNNER, "--", str(CLIENT_COUNTER), str(TABLE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    results = {r["name"]: r for r in json.loads(out.stdout)}
    failures = []
    for case in CASES:
        got = results[case["name"]]
        expected = {k: case[k] for k in ("urls", "topics", "mentions") if k in case}
        actual = {k: got["parsed"][k] for k in expected}
        if got["parsed"]["length"] != case["length"] or actual != expected:
            failures.append((case["name"], got["parsed"]))
    assert not failures
    assert len(results) == len(CASES)


def test_the_browser_counter_measures_what_the_server_stores() -> None:
    """The composer counts the text trimmed and with CRLF as LF, as the service stores it."""
    node = shutil.which("node")
    assert node is not None
    script = (
        'import { pathToFileURL } from "node:url";'
        "const c = await import(pathToFileURL(process.argv[1]).href);"
        'const t = "  " + "春".repeat(140) + "\\r\\n  ";'
        'const u = "春".repeat(139) + "ab😀";'
        "process.stdout.write(JSON.stringify([c.count(t), c.count(u)]));"
    )
    out = subprocess.run(
        [node, "--input-type=module", "-e", script, "--", str(CLIENT_COUNTER)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    trimmed, over = json.loads(out.stdout)
    assert trimmed == {"length": 140, "remaining": 0, "over": False}
    assert weibo_length("春" * 139 + "ab😀") == over["length"] == 142
    assert over == {"length": 142, "remaining": -2, "over": True}


def test_topic_keys_fold_width_and_case() -> None:
    assert topic_key("ＳＰＲＩＮＧ  Festival") == topic_key("spring festival") == "spring festival"
    assert topic_key("春节") == "春节"
