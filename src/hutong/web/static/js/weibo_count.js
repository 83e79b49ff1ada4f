// The composer's Weibo counter and entity finder: the browser's port of
// hutong.microblog.text, the server's one definition of "how long is a post". Both pass the same
// table (tests/microblog/weibo_count_cases.json; tests/microblog/test_text.py runs THIS module
// under Node). Change the rules there and here together; keep the patterns identical.
//
// Counting (SPEC section 6): every UTF-16 code unit in U+0000–U+00FF is 1 byte, any other unit
// 2 bytes (String.length counts units, so an emoji outside the BMP is 4); each URL of at most
// 140 bytes counts 20 bytes, a longer one its length minus 120; length = ceil(bytes / 2).
// Topics, mentions and URLs are found with every URL replaced by a line break, so a `#` or `@`
// inside a link is neither.
//
// No DOM here: the module runs in the browser and in Node alike.

export const MAX_LENGTH = 140;
const URL_BYTES = 20;
const URL_FULL_PRICE_ABOVE = 140;

export const URL_PATTERN =
  "https?://" +
  "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?" +
  "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+" +
  "(?::[0-9]{1,5})?" +
  "(?:[/?#][-A-Za-z0-9._~:/?#\\[\\]@!$&'()*+,;=%]*)?";
export const TOPIC_PATTERN = "#([^#\\s](?:[^#\\r\\n]{0,30}[^#\\s])?)#";
export const MENTION_PATTERN = "(?<![A-Za-z0-9_])@([A-Za-z0-9_]{3,20})(?![A-Za-z0-9_])";
const TRAILING = ".,;:!?'\"";

/** Weibo bytes of `text` without URL pricing. */
export function utf16Bytes(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) n += text.charCodeAt(i) <= 0xff ? 1 : 2;
  return n;
}

function occurrences(s, ch) {
  return s.split(ch).length - 1;
}

function trimUrl(url) {
  while (url) {
    const last = url[url.length - 1];
    if (TRAILING.includes(last) || (last === ")" && occurrences(url, ")") > occurrences(url, "("))) url = url.slice(0, -1);
    else break;
  }
  return url;
}

function urlBytes(url) {
  const n = utf16Bytes(url);
  return n <= URL_FULL_PRICE_ABOVE ? URL_BYTES : n - URL_FULL_PRICE_ABOVE + URL_BYTES;
}

/** How topics are compared: NFKC, lower case (Python folds case; only letters like ß differ),
 * inner white space collapsed. */
export function topicKey(name) {
  return name.normalize("NFKC").toLowerCase().split(/\s+/).filter(Boolean).join(" ");
}

/** [start, end) of every URL in `text`, in order. */
export function findUrls(text) {
  const spans = [];
  for (const m of text.matchAll(new RegExp(URL_PATTERN, "gi"))) {
    spans.push([m.index, m.index + trimUrl(m[0]).length]);
  }
  return spans;
}

/** Count `text` the Weibo way and find its URLs, topics (first spelling) and mentions (lower case). */
export function parse(text) {
  const spans = findUrls(text);
  const urls = spans.map(([a, b]) => text.slice(a, b));
  const pieces = [];
  let at = 0;
  for (const [a, b] of spans) {
    pieces.push(text.slice(at, a));
    at = b;
  }
  pieces.push(text.slice(at));
  const rest = pieces.join("\n");
  let bytes = utf16Bytes(rest) - (pieces.length - 1);
  for (const u of urls) bytes += urlBytes(u);

  const topics = [];
  const seen = new Set();
  for (const m of rest.matchAll(new RegExp(TOPIC_PATTERN, "gu"))) {
    const key = topicKey(m[1]);
    if (!seen.has(key)) {
      seen.add(key);
      topics.push(m[1]);
    }
  }
  const mentions = [];
  for (const m of rest.matchAll(new RegExp(MENTION_PATTERN, "gu"))) {
    const handle = m[1].toLowerCase();
    if (!mentions.includes(handle)) mentions.push(handle);
  }
  return { length: Math.ceil(bytes / 2), urls, topics, mentions };
}

/** What the server will store: CRLF as LF, trimmed (as MicroblogService.prepare_text does). */
export function normalise(text) {
  return text.replace(/\r\n/g, "\n").trim();
}

/** The composer's counter: {length, remaining, over} of the text as it will be posted. */
export function count(text, max = MAX_LENGTH) {
  const length = parse(normalise(text)).length;
  return { length, remaining: max - length, over: length > max };
}
