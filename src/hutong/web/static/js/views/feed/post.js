// A post as the feed shows it, Weibo style: author with badge, text with #topics#, @mentions
// and links, a grid of up to nine images, the original inside a grey box for a repost (with the
// `//@someone: …` chain in between), and repost / comment / like at the bottom.

import { ApiError } from "../../api.js";
import * as feed from "../../data/feed.js";
import { h } from "../../dom.js";
import { ago } from "../../format.js";
import { navigate } from "../../router.js";
import { avatar, verifiedBadge } from "../../ui/avatar.js";
import { toast } from "../../ui/feedback.js";
import { findUrls, MENTION_PATTERN, TOPIC_PATTERN } from "../../weibo_count.js";
import { glyph } from "./glyphs.js";

export const VISIBILITY = {
  public: "Public",
  followers: "Followers",
  friends: "Friends",
  only_me: "Only me",
};

export const profileHref = (handle) => `#/feed/u/${encodeURIComponent(handle)}`;
export const topicHref = (name) => `#/feed/topic/${encodeURIComponent(name)}`;
export const postHref = (id) => `#/feed/p/${id}`;

/** A count on an action button: "Like" when none, "1.2万" past ten thousand. */
export function shortCount(n, zero) {
  if (!n) return zero;
  if (n >= 10000) return `${(n / 10000).toFixed(n >= 100000 ? 0 : 1)}万`;
  return String(n);
}

function entities(piece, mentions) {
  // Topics and mentions never overlap a URL (those are cut out first), but may sit next to each
  // other; take whichever comes first, left to right, as the server's scan does.
  const out = [];
  const found = [];
  for (const m of piece.matchAll(new RegExp(TOPIC_PATTERN, "gu"))) found.push({ at: m.index, end: m.index + m[0].length, topic: m[1], raw: m[0] });
  for (const m of piece.matchAll(new RegExp(MENTION_PATTERN, "gu"))) found.push({ at: m.index, end: m.index + m[0].length, handle: m[1].toLowerCase(), raw: m[0] });
  found.sort((a, b) => a.at - b.at);
  let at = 0;
  for (const f of found) {
    if (f.at < at) continue; // an @ inside a topic stays part of the topic
    if (f.at > at) out.push(piece.slice(at, f.at));
    if (f.topic !== undefined) {
      out.push(h("a", { class: "ftext-topic", href: topicHref(f.topic), testid: "topic-link", onclick: (e) => e.stopPropagation() }, f.raw));
    } else if (mentions.has(f.handle)) {
      out.push(h("a", { class: "ftext-mention", href: profileHref(f.handle), testid: "mention-link", onclick: (e) => e.stopPropagation() }, f.raw));
    } else {
      out.push(f.raw);
    }
    at = f.end;
  }
  if (at < piece.length) out.push(piece.slice(at));
  return out;
}

/**
 * Post or comment text as nodes: topics link to their page, resolved @mentions to the person's
 * profile, URLs open in a new tab. `mentions` is the `[{handle, user_id}]` the server resolved.
 */
export function richText(text, mentions = []) {
  const known = new Set(mentions.map((m) => m.handle.toLowerCase()));
  const out = [];
  let at = 0;
  for (const [a, b] of findUrls(text)) {
    out.push(...entities(text.slice(at, a), known));
    const url = text.slice(a, b);
    out.push(h("a", { class: "ftext-url", href: url, target: "_blank", rel: "noopener noreferrer nofollow", onclick: (e) => e.stopPropagation() }, "🔗 网页链接"));
    at = b;
  }
  out.push(...entities(text.slice(at), known));
  return out;
}

/** "Wang Lei" with the V badge, linking to the profile. */
export function authorName(author, { testid = "post-author" } = {}) {
  return h(
    "a",
    { class: ["fname", author.verified && `fname--${author.verified}`], href: profileHref(author.handle), testid, onclick: (e) => e.stopPropagation() },
    h("span", { class: "fname-text" }, author.display_name || author.handle),
    verifiedBadge(author),
  );
}

function images(list) {
  if (!list?.length) return null;
  return h(
    "div",
    { class: ["fimages", `fimages--${Math.min(list.length, 3)}`, list.length === 4 && "fimages--four"], testid: "post-images" },
    list.map((img) =>
      h(
        "a",
        { class: "fimage", href: img.url, target: "_blank", rel: "noopener", onclick: (e) => e.stopPropagation() },
        h("img", { src: list.length === 1 ? img.url : img.thumb_url, alt: "", loading: "lazy", decoding: "async" }),
      ),
    ),
  );
}

/** The original of a repost, in its grey box. */
function rootBox(post) {
  if (post.root_unavailable) return h("div", { class: "froot froot--gone", testid: "post-root-gone" }, "The original post has been deleted or is not visible to you.");
  const root = post.root;
  if (!root) return null;
  return h(
    "div",
    {
      class: "froot",
      testid: "post-root",
      dataset: { id: root.id },
      onclick: (e) => {
        e.stopPropagation();
        navigate(`/feed/p/${root.id}`);
      },
    },
    h("div", { class: "froot-text" }, h("a", { class: "ftext-mention", href: profileHref(root.author.handle), onclick: (e) => e.stopPropagation() }, `@${root.author.display_name || root.author.handle}`), verifiedBadge(root.author, { testid: "root-badge" }), "：", richText(root.text, root.mentions)),
    images(root.images),
    h("div", { class: "froot-meta" }, `${shortCount(root.reposts_count, "0")} reposts · ${shortCount(root.comments_count, "0")} comments · ${shortCount(root.likes_count, "0")} likes`),
  );
}

/** A repost's own words followed by the chain in Weibo's notation: "//@li: …". */
function ownText(post) {
  const parts = richText(post.text, post.mentions);
  for (const hop of post.chain || []) {
    const who = hop.author;
    parts.push(
      h(
        "span",
        { class: "fchain", testid: "post-chain" },
        "//",
        who ? h("a", { class: "ftext-mention", href: profileHref(who.handle), onclick: (e) => e.stopPropagation() }, `@${who.display_name || who.handle}`) : "@?",
        "：",
        richText(hop.text, []),
      ),
    );
  }
  if (!parts.length && post.repost_of_id) parts.push(h("span", { class: "fmuted" }, "Repost"));
  return parts;
}

/** The like button: toggles at once, then settles on the server's count. */
export function likeButton(target, { onToggle, testid = "post-like" } = {}) {
  const label = h("span", {});
  const btn = h("button", { type: "button", class: "faction faction--like", testid, "aria-pressed": "false" }, glyph("heart", { size: 18 }), label);
  const paint = () => {
    btn.classList.toggle("is-on", target.liked);
    btn.setAttribute("aria-pressed", String(target.liked));
    btn.dataset.count = String(target.likes_count);
    btn.replaceChild(glyph("heart", { size: 18, filled: target.liked }), btn.firstChild);
    label.textContent = shortCount(target.likes_count, "Like");
  };
  paint();
  btn.addEventListener("click", async (e) => {
    e.stopPropagation();
    const want = !target.liked;
    target.liked = want;
    target.likes_count += want ? 1 : -1;
    paint();
    try {
      const out = await onToggle(want);
      target.liked = out.liked;
      target.likes_count = out.likes_count;
    } catch (err) {
      target.liked = !want;
      target.likes_count += want ? -1 : 1;
      toast(err instanceof ApiError ? err.detail : "Couldn't update the like", { kind: "error" });
    }
    paint();
  });
  return btn;
}

/**
 * One post card. Clicking it opens the post; `detail` shows the full-size layout without the
 * link on the body.
 */
export function postCard(post, { detail = false, onComment } = {}) {
  const a = post.author;
  const repostable = post.visibility === "public" && (!post.root || post.root.visibility === "public") && !post.root_unavailable;
  const actions = h(
    "div",
    { class: "factions" },
    h(
      "a",
      {
        class: ["faction", !repostable && "is-disabled"],
        href: repostable ? `#/feed/p/${post.id}/repost` : null,
        "aria-disabled": repostable ? null : "true",
        testid: "post-repost",
        onclick: (e) => e.stopPropagation(),
      },
      glyph("repost", { size: 18 }),
      h("span", {}, shortCount(post.reposts_count, "Repost")),
    ),
    h(
      "a",
      {
        class: "faction",
        href: postHref(post.id),
        testid: "post-comment",
        onclick: (e) => {
          e.stopPropagation();
          if (onComment) {
            e.preventDefault();
            onComment();
          }
        },
      },
      glyph("comment", { size: 18 }),
      h("span", {}, shortCount(post.comments_count, "Comment")),
    ),
    likeButton(post, { onToggle: (on) => feed.like(post.id, on) }),
  );
  return h(
    "article",
    {
      class: ["fpost", detail && "fpost--detail", post.status === "held" && "is-held"],
      testid: "post",
      dataset: { id: post.id, repost: post.repost_of_id ? String(post.root?.id || "") : null },
      onclick: detail ? null : () => navigate(`/feed/p/${post.id}`),
    },
    h(
      "header",
      { class: "fpost-head" },
      h("a", { href: profileHref(a.handle), class: "fpost-avatar", onclick: (e) => e.stopPropagation() }, avatar(a, { size: "md" })),
      h(
        "div",
        { class: "fpost-who" },
        authorName(a),
        h("div", { class: "fpost-meta" }, h("span", { testid: "post-time" }, ago(post.created_at)), post.visibility !== "public" ? h("span", { class: "fpost-vis", testid: "post-visibility" }, ` · ${VISIBILITY[post.visibility]}`) : null, post.status === "held" ? h("span", { class: "fpost-held", testid: "post-held" }, " · Under review") : null),
      ),
    ),
    h("div", { class: "fpost-text", testid: "post-text" }, ownText(post)),
    images(post.images),
    rootBox(post),
    actions,
  );
}
