// Reference JavaScript port of hutong.microblog.text (the Weibo counter and entity finder).
//
// The browser composer's live counter must agree with the server on every case of
// weibo_count_cases.json; this file is the tested reference for that port (the Python suite runs
// it under Node when Node is installed). Keep the patterns identical to text.py.
//
//   node tests/microblog/weibo_count.mjs tests/microblog/weibo_count_cases.json

export const URL_PATTERN =
  "https?://" +
  "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?" +
  "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+" +
  "(?::[0-9]{1,5})?" +
  "(?:[/?#][-A-Za-z0-9._~:/?#\\[\\]@!$&'()*+,;=%]*)?";
const TOPIC = /#([^#\s](?:[^#\r\n]{0,30}[^#\s])?)#/gu;
const MENTION = /(?<![A-Za-z0-9_])@([A-Za-z0-9_]{3,20})(?![A-Za-z0-9_])/gu;
const TRAILING = ".,;:!?'\"";

// 1 byte per UTF-16 unit in U+0000–U+00FF, 2 per other unit (String.length counts units).
export function utf16Bytes(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) n += text.charCodeAt(i) <= 0xff ? 1 : 2;
  return n;
}

function count(s, ch) {
  return s.split(ch).length - 1;
}

function trimUrl(url) {
  while (url) {
    const last = url[url.length - 1];
    if (TRAILING.includes(last) || (last === ")" && count(url, ")") > count(url, "("))) {
      url = url.slice(0, -1);
    } else break;
  }
  return url;
}

function urlBytes(url) {
  const n = utf16Bytes(url);
  return n <= 140 ? 20 : n - 140 + 20;
}

// Python case-folds (casefold()); lower-casing differs only for a few letters such as ß.
function topicKey(name) {
  return name.normalize("NFKC").toLowerCase().split(/\s+/).filter(Boolean).join(" ");
}

export function parse(text) {
  const urls = [];
  const pieces = [];
  let at = 0;
  for (const m of text.matchAll(new RegExp(URL_PATTERN, "gi"))) {
    const url = trimUrl(m[0]);
    urls.push(url);
    pieces.push(text.slice(at, m.index));
    at = m.index + url.length;
  }
  pieces.push(text.slice(at));
  const rest = pieces.join("\n");
  let bytes = utf16Bytes(rest) - (pieces.length - 1);
  for (const u of urls) bytes += urlBytes(u);
  const topics = [];
  const seen = new Set();
  for (const m of rest.matchAll(TOPIC)) {
    const key = topicKey(m[1]);
    if (!seen.has(key)) {
      seen.add(key);
      topics.push(m[1]);
    }
  }
  const mentions = [];
  for (const m of rest.matchAll(MENTION)) {
    const handle = m[1].toLowerCase();
    if (!mentions.includes(handle)) mentions.push(handle);
  }
  return { length: Math.ceil(bytes / 2), urls, topics, mentions };
}

export function weiboLength(text) {
  return parse(text).length;
}

// Run against the shared table: prints the names of failing cases, exits 1 if any.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import("node:fs");
  const table = JSON.parse(readFileSync(process.argv[2], "utf8"));
  let failed = 0;
  for (const c of table.cases) {
    const got = parse(c.text);
    const bad = got.length !== c.length
      || ["urls", "topics", "mentions"].some(
        (k) => k in c && JSON.stringify(got[k]) !== JSON.stringify(c[k]));
    if (bad) {
      failed++;
      console.log(`FAIL ${c.name}: ${JSON.stringify(got)}`);
    }
  }
  console.log(`${table.cases.length - failed}/${table.cases.length} cases pass`);
  process.exit(failed ? 1 : 0);
}
