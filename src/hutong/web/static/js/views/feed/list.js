// A list of posts paged by cursor, loading the next page as the reader nears the bottom
// (infinite scroll), shared by the home timeline, topic, profile and search screens.

import { ApiError } from "../../api.js";
import { h, mount } from "../../dom.js";
import { emptyState, spinner } from "../../ui/layout.js";
import { postCard } from "./post.js";

const NEAR_BOTTOM = 600; // px

/**
 * @param {object} ctx   the router context (stops loading when the screen goes)
 * @param {object} o
 * @param {(cursor: string|null) => Promise<{items, next_cursor}>} o.fetch
 * @param {object} o.empty   emptyState() options for an empty first page
 * @param {string} [o.testid]
 * @returns {{el, attach(main), reload(), newestId(), prepend(post)}}
 */
export function postList(ctx, { fetch, empty, testid = "post-list" }) {
  const items = h("div", { class: "flist-items" });
  const foot = h("div", { class: "flist-foot", testid: `${testid}-foot` });
  const el = h("div", { class: "flist", testid }, items, foot);
  const seen = new Set();
  let cursor = null;
  let done = false;
  let loading = null;
  let generation = 0;
  let newest = 0;

  function add(post, { first = false } = {}) {
    if (seen.has(post.id)) return;
    seen.add(post.id);
    newest = Math.max(newest, post.id);
    const card = postCard(post);
    if (first) items.prepend(card);
    else items.append(card);
  }

  function more() {
    if (done || loading || !ctx.alive) return loading;
    const gen = generation;
    mount(foot, spinner());
    loading = (async () => {
      try {
        const page = await fetch(cursor);
        if (gen !== generation || !ctx.alive) return;
        for (const post of page.items) add(post);
        cursor = page.next_cursor;
        done = !cursor;
        if (!seen.size && done) mount(foot, emptyState(empty));
        else mount(foot, done ? h("p", { class: "flist-end", testid: `${testid}-end` }, "No more posts") : null);
      } catch (err) {
        if (gen !== generation) return;
        mount(
          foot,
          h("p", { class: "flist-error", testid: `${testid}-error` }, err instanceof ApiError ? err.detail : "Couldn't load posts", " ", h("button", { type: "button", class: "link-btn", onclick: () => more() }, "Retry")),
        );
      } finally {
        if (gen === generation) loading = null;
      }
      fill();
    })();
    return loading;
  }

  let main = null;
  // Keep loading while the page isn't scrollable yet (a short first page on a tall screen).
  function fill() {
    if (main && !done && !loading && main.scrollHeight - main.scrollTop - main.clientHeight < NEAR_BOTTOM) more();
  }

  return {
    el,
    /** Watch the screen's scrolling body for infinite scroll, and load the first page. */
    attach(body) {
      main = body;
      body.addEventListener("scroll", fill, { passive: true });
      more();
    },
    /** Start again from the newest page. */
    reload() {
      generation += 1;
      loading = null;
      cursor = null;
      done = false;
      seen.clear();
      newest = 0;
      items.replaceChildren();
      if (main) main.scrollTop = 0;
      return more();
    },
    newestId: () => newest,
    prepend: (post) => add(post, { first: true }),
    count: () => seen.size,
  };
}
