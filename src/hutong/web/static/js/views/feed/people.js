// People in the feed: the follow button, a person's row in a list, and the followers /
// following lists (#/feed/u/:handle/followers|following).

import { ApiError } from "../../api.js";
import * as feed from "../../data/feed.js";
import { h, mount } from "../../dom.js";
import * as store from "../../store.js";
import { avatar, verifiedBadge } from "../../ui/avatar.js";
import { toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { profileHref } from "./post.js";

/**
 * Follow / Following / Mutual, toggling on tap. `state` is {following, followed_by, mutual};
 * `onChange(FollowOut)` hears the server's answer.
 */
export function followButton(handle, state, { onChange, testid = "follow-button", small = false } = {}) {
  const btn = h("button", { type: "button", class: ["btn", small && "btn--small", "ffollow"], testid });
  const paint = () => {
    btn.textContent = state.mutual ? "Mutual" : state.following ? "Following" : state.followed_by ? "Follow back" : "+ Follow";
    btn.classList.toggle("btn--primary", !state.following);
    btn.classList.toggle("btn--muted", state.following);
    btn.dataset.following = String(Boolean(state.following));
  };
  paint();
  btn.addEventListener("click", async (e) => {
    e.preventDefault();
    e.stopPropagation();
    btn.disabled = true;
    try {
      const out = await feed.follow(handle, !state.following);
      Object.assign(state, { following: out.following, followed_by: out.followed_by, mutual: out.mutual });
      onChange?.(out);
    } catch (err) {
      toast(err instanceof ApiError ? err.detail : "Couldn't update", { kind: "error" });
    }
    btn.disabled = false;
    paint();
  });
  return btn;
}

/** A row of a user list or search (UserCardOut). */
export function personRow(card) {
  const u = card.user;
  const me = u.id === store.state.user?.id;
  return h(
    "a",
    { class: "cell cell--link fperson", href: profileHref(u.handle), testid: "person-row", dataset: { handle: u.handle } },
    avatar(u, { size: "md" }),
    h(
      "span",
      { class: "cell-body" },
      h("span", { class: "cell-title fperson-name" }, u.display_name || u.handle, verifiedBadge(u)),
      h("span", { class: "cell-note" }, u.verified_reason || `@${u.handle} · ${card.followers_count} followers`),
    ),
    me ? null : followButton(u.handle, { following: card.following, followed_by: false, mutual: card.mutual && card.following }, { small: true, testid: "person-follow" }),
  );
}

function listView(ctx, which) {
  const handle = ctx.params.handle;
  const rows = h("div", { class: "cells", testid: `${which}-list` });
  const foot = h("div", { class: "flist-foot" }, spinner());
  let cursor = null;
  const more = async () => {
    try {
      const page = await (which === "followers" ? feed.followers : feed.following)(handle, cursor);
      if (!ctx.alive) return;
      rows.append(...page.items.map(personRow));
      cursor = page.next_cursor;
      if (!rows.childElementCount) mount(foot, emptyState({ iconName: "contacts", title: which === "followers" ? "No followers yet" : "Not following anyone yet", testid: `${which}-empty` }));
      else mount(foot, cursor ? h("button", { type: "button", class: "link-btn", testid: "list-more", onclick: () => (mount(foot, spinner()), more()) }, "More") : null);
    } catch (err) {
      mount(foot, h("p", { class: "flist-error" }, err instanceof ApiError ? err.detail : "Couldn't load"));
    }
  };
  more();
  return screen(ctx, {
    title: which === "followers" ? "Followers" : "Following",
    back: `/feed/u/${encodeURIComponent(handle)}`,
    testid: `screen-feed-${which}`,
    body: [rows, foot],
  });
}

export const followersView = (ctx) => listView(ctx, "followers");
export const followingView = (ctx) => listView(ctx, "following");
