// #/feed/topic/:name — a topic page: the topic with its post count, then its posts (newest
// first, infinite scroll), and a button to post on it.

import * as feed from "../../data/feed.js";
import { h, mount } from "../../dom.js";
import { screen } from "../../ui/layout.js";
import { glyph } from "./glyphs.js";
import { postList } from "./list.js";

export function topicView(ctx) {
  const name = ctx.params.name;
  const header = h(
    "div",
    { class: "ftopic-head", testid: "topic-head" },
    h("div", { class: "ftopic-mark" }, "#"),
    h("div", { class: "ftopic-main" }, h("h2", { class: "ftopic-name", testid: "topic-name" }, `#${name}#`), h("p", { class: "ftopic-count", testid: "topic-count" }, "")),
  );
  const list = postList(ctx, {
    testid: "topic-posts",
    fetch: async (cursor) => {
      const page = await feed.topic(name, cursor);
      mount(header.querySelector(".ftopic-name"), `#${page.topic.name}#`);
      header.querySelector(".ftopic-count").textContent = `${page.topic.posts_count} posts`;
      return page.posts;
    },
    empty: { iconName: "moments", title: "No posts on this topic yet", testid: "topic-empty" },
  });
  const compose = h(
    "a",
    { class: "btn btn--primary btn--small ftopic-post", href: `#/feed/compose?text=${encodeURIComponent(`#${name}# `)}`, testid: "topic-compose" },
    glyph("pen", { size: 16 }),
    " Post on this topic",
  );
  header.append(compose);
  return screen(ctx, {
    title: `#${name}#`,
    back: ctx.query.back || "/feed",
    testid: "screen-feed-topic",
    body: [header, list.el],
    bodyRef: (main) => ctx.setTimeout(() => list.attach(main), 0),
  });
}
