// #/feed/compose and #/feed/p/:id/repost — write a post, or repost one with a comment.
//
// The counter is Weibo's (js/weibo_count.js, the same table as the server): it shows what is
// left of the limit as you type, turns red past it and disables Post. Images (up to 9) upload as
// soon as they are picked; `#` and `@` open suggestions of topics and people.

import { ApiError } from "../../api.js";
import * as feed from "../../data/feed.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import { navigate } from "../../router.js";
import { avatar, verifiedBadge } from "../../ui/avatar.js";
import { actionSheet, toast } from "../../ui/feedback.js";
import { banner } from "../../ui/form.js";
import { screen, spinner } from "../../ui/layout.js";
import { debounce } from "../../util.js";
import { count, MAX_LENGTH } from "../../weibo_count.js";
import { richText, VISIBILITY } from "./post.js";

const MAX_IMAGES = 9;
const TOPIC_BEFORE_CARET = /#([^#\s][^#\n]{0,31})$/u;
const MENTION_BEFORE_CARET = /(?:^|[^A-Za-z0-9_])@([A-Za-z0-9_]{1,20})$/;

export function composeView(ctx) {
  return composer(ctx, null);
}

export function repostView(ctx) {
  return composer(ctx, Number(ctx.params.id));
}

/** The original being reposted, as a small grey card under the text. */
function quoted(post) {
  const root = post.root || post;
  return h(
    "div",
    { class: "fquote", testid: "compose-quote" },
    root.images?.[0] ? h("img", { class: "fquote-img", src: root.images[0].thumb_url, alt: "" }) : avatar(root.author, { size: "md" }),
    h("div", { class: "fquote-body" }, h("div", { class: "fquote-name" }, `@${root.author.display_name || root.author.handle}`, verifiedBadge(root.author)), h("div", { class: "fquote-text" }, richText(root.text, root.mentions))),
  );
}

function composer(ctx, repostOf) {
  let max = MAX_LENGTH;
  let visibility = "public";
  let sending = false;
  const images = []; // {file, url (object URL), id|null, failed, el}

  const input = h("textarea", {
    class: "fcompose-input",
    testid: "compose-input",
    rows: 6,
    placeholder: repostOf ? "Say something about it…" : "What's new?",
    "aria-label": repostOf ? "Comment" : "Post text",
  });
  const counter = h("span", { class: "fcounter", testid: "compose-counter", "aria-live": "polite" });
  const submit = h("button", { type: "button", class: "btn btn--primary btn--small fcompose-submit", testid: "compose-submit", disabled: true }, repostOf ? "Repost" : "Post");
  const error = banner({ testid: "compose-error" });
  const suggest = h("div", { class: "fsuggest", testid: "compose-suggest", role: "listbox", hidden: true });
  const grid = h("div", { class: "fcompose-images", testid: "compose-images" });
  const picker = h("input", { type: "file", accept: "image/jpeg,image/png,image/gif,image/webp", multiple: true, hidden: true, testid: "compose-file" });
  const visCell = h("button", { type: "button", class: "fcompose-vis", testid: "compose-visibility" });
  const original = h("div", {});

  function paintVisibility() {
    mount(visCell, icon("lock", { size: 16 }), h("span", { testid: "compose-visibility-value" }, VISIBILITY[visibility]), icon("down", { size: 14 }));
  }

  function update() {
    const c = count(input.value, max);
    counter.textContent = String(c.remaining);
    counter.dataset.remaining = String(c.remaining);
    counter.dataset.length = String(c.length);
    counter.classList.toggle("is-over", c.over);
    counter.classList.toggle("is-near", !c.over && c.remaining <= 10);
    counter.title = c.over ? `${-c.remaining} over the limit of ${max}` : `${c.remaining} characters left`;
    const uploading = images.some((i) => !i.id && !i.failed);
    const empty = !input.value.trim() && !images.some((i) => i.id);
    submit.disabled = sending || c.over || uploading || (!repostOf && empty);
    return c;
  }

  // -- images ---------------------------------------------------------------------------------
  const addTile = h(
    "button",
    { type: "button", class: "fcompose-add", testid: "compose-add-image", "aria-label": "Add images", onclick: () => picker.click() },
    icon("plus", { size: 28 }),
  );

  function paintImages() {
    mount(grid, images.map((i) => i.el), images.length < MAX_IMAGES ? addTile : null);
    update();
  }

  function addImage(file) {
    const item = { file, url: URL.createObjectURL(file), id: null, failed: false };
    const remove = h("button", { type: "button", class: "fcompose-remove", testid: "compose-image-remove", "aria-label": "Remove image" }, icon("close", { size: 14 }));
    item.el = h("div", { class: "fcompose-image is-uploading", testid: "compose-image" }, h("img", { src: item.url, alt: "" }), remove);
    remove.addEventListener("click", () => {
      images.splice(images.indexOf(item), 1);
      URL.revokeObjectURL(item.url);
      paintImages();
    });
    images.push(item);
    feed
      .uploadImage(file)
      .then((out) => {
        item.id = out.id;
        item.el.classList.remove("is-uploading");
        item.el.dataset.id = out.id;
      })
      .catch((err) => {
        item.failed = true;
        item.el.classList.replace("is-uploading", "is-failed");
        toast(err instanceof ApiError ? err.detail : "Couldn't upload the image", { kind: "error" });
      })
      .finally(update);
  }

  picker.addEventListener("change", () => {
    const files = [...picker.files];
    picker.value = "";
    const room = MAX_IMAGES - images.length;
    if (files.length > room) toast(`Up to ${MAX_IMAGES} images per post`);
    for (const f of files.slice(0, room)) addImage(f);
    paintImages();
  });
  ctx.onCleanup(() => images.forEach((i) => URL.revokeObjectURL(i.url)));

  // -- #topic# and @mention suggestions --------------------------------------------------------
  let lastQuery = "";
  function closeSuggest() {
    suggest.hidden = true;
    suggest.replaceChildren();
    lastQuery = "";
  }

  /** Replace the `#…` or `@…` being typed (as it is now, not as it was when asked) with `insert`. */
  function complete(kind, insert) {
    const caret = input.selectionStart;
    const head = input.value.slice(0, caret);
    const m = (kind === "topic" ? TOPIC_BEFORE_CARET : MENTION_BEFORE_CARET).exec(head);
    const token = m ? m[1].length + 1 : 0;
    const before = head.slice(0, head.length - token);
    const after = input.value.slice(input.selectionEnd);
    input.value = before + insert + after;
    const at = before.length + insert.length;
    input.setSelectionRange(at, at);
    input.focus();
    lookUp.cancel();
    closeSuggest();
    update();
  }

  function showSuggestions(rows) {
    if (!rows.length) return closeSuggest();
    mount(suggest, rows);
    suggest.hidden = false;
  }

  const lookUp = debounce(async (kind, q) => {
    const key = `${kind}:${q}`;
    if (!ctx.alive || key === lastQuery) return;
    lastQuery = key;
    try {
      if (kind === "topic") {
        const topics = await feed.suggestTopics(q);
        if (lastQuery !== key) return;
        const rows = topics.map((t) =>
          h("button", { type: "button", class: "fsuggest-item", role: "option", testid: "suggest-topic", onclick: () => complete("topic", `#${t.name}# `) }, h("span", { class: "fsuggest-main" }, `#${t.name}#`), h("span", { class: "fsuggest-note" }, `${t.posts_count} posts`)),
        );
        // Always offer the topic as typed, so a new topic is one tap too.
        if (!topics.some((t) => t.name === q)) rows.push(h("button", { type: "button", class: "fsuggest-item", role: "option", testid: "suggest-topic-new", onclick: () => complete("topic", `#${q}# `) }, h("span", { class: "fsuggest-main" }, `#${q}#`), h("span", { class: "fsuggest-note" }, "New topic")));
        showSuggestions(rows);
      } else {
        const people = await feed.searchUsers(q, 8);
        if (lastQuery !== key) return;
        showSuggestions(
          people.map((p) =>
            h(
              "button",
              { type: "button", class: "fsuggest-item", role: "option", testid: "suggest-user", dataset: { handle: p.user.handle }, onclick: () => complete("user", `@${p.user.handle} `) },
              avatar(p.user, { size: "sm" }),
              h("span", { class: "fsuggest-main" }, p.user.display_name || p.user.handle, verifiedBadge(p.user)),
              h("span", { class: "fsuggest-note" }, `@${p.user.handle}`),
            ),
          ),
        );
      }
    } catch {
      closeSuggest();
    }
  }, 150);

  function autocomplete() {
    if (input.selectionStart !== input.selectionEnd) return closeSuggest();
    const before = input.value.slice(0, input.selectionStart);
    const mention = MENTION_BEFORE_CARET.exec(before);
    if (mention) return lookUp("user", mention[1]);
    const topic = TOPIC_BEFORE_CARET.exec(before);
    // An odd number of `#` before the caret: this one opens a topic not yet closed.
    if (topic && (before.match(/#/g) || []).length % 2 === 1) return lookUp("topic", topic[1]);
    lookUp.cancel();
    closeSuggest();
  }

  input.addEventListener("input", () => {
    update();
    autocomplete();
  });
  input.addEventListener("click", autocomplete);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !suggest.hidden) {
      e.preventDefault();
      closeSuggest();
    } else if ((e.key === "Enter" && (e.metaKey || e.ctrlKey)) && !submit.disabled) {
      e.preventDefault();
      send();
    }
  });

  // -- visibility and sending ------------------------------------------------------------------
  visCell.addEventListener("click", async () => {
    const value = await actionSheet({
      title: "Who can see this",
      testid: "visibility-sheet",
      actions: Object.entries(VISIBILITY).map(([value, label]) => ({ label: value === visibility ? `${label} ✓` : label, value, testid: `visibility-${value}` })),
    });
    if (value) {
      visibility = value;
      paintVisibility();
    }
  });

  async function send() {
    if (update().over || sending) return;
    sending = true;
    update();
    error.hide();
    try {
      if (repostOf) {
        const out = await feed.repost(repostOf, { text: input.value, visibility });
        toast("Reposted", { kind: "success" });
        navigate(`/feed/p/${out.id}`, { replace: true });
      } else {
        const body = { text: input.value, images: images.filter((i) => i.id).map((i) => i.id), visibility };
        const out = await feed.create(body);
        toast(out.status === "held" ? "Posted — a moderator will look at it first" : "Posted", { kind: "success" });
        navigate("/feed", { replace: true });
      }
    } catch (err) {
      sending = false;
      update();
      error.show(err instanceof ApiError ? err.detail : "Couldn't send. Try again.");
    }
  }
  submit.addEventListener("click", send);

  // The server's limit may be configured other than 140: ask once.
  feed
    .count("")
    .then((c) => {
      if (ctx.alive && c.max_length) {
        max = c.max_length;
        update();
      }
    })
    .catch(() => {});

  if (repostOf) {
    mount(original, spinner());
    feed
      .post(repostOf)
      .then((p) => ctx.alive && mount(original, quoted(p)))
      .catch((err) => ctx.alive && mount(original, h("p", { class: "banner banner--error" }, err instanceof ApiError ? err.detail : "Couldn't load the post")));
  }

  if (!repostOf && ctx.query.text) input.value = ctx.query.text;
  paintVisibility();
  paintImages();
  requestAnimationFrame(() => input.focus());

  return screen(ctx, {
    title: repostOf ? "Repost" : "New post",
    back: repostOf ? `/feed/p/${repostOf}` : "/feed",
    testid: repostOf ? "screen-feed-repost" : "screen-feed-compose",
    cls: "screen--plain",
    actions: [submit],
    body: h(
      "div",
      { class: "fcompose" },
      error.el,
      h("div", { class: "fcompose-box" }, input),
      h("div", { class: "fcompose-bar" }, visCell, counter),
      suggest,
      repostOf ? original : h("div", {}, grid, picker),
    ),
  });
}
