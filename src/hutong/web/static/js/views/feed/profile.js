// #/feed/u/:handle — a profile page: avatar, name with the V badge (orange for people, blue for
// organisations) and its reason, bio, counts, the follow button, then their posts.

import { ApiError } from "../../api.js";
import * as feed from "../../data/feed.js";
import { h, mount } from "../../dom.js";
import { avatar, verifiedBadge } from "../../ui/avatar.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { postList } from "./list.js";
import { followButton } from "./people.js";

const VERIFIED = { personal: "Verified", organisation: "Verified organisation" };

function stat(n, label, href, testid) {
  return h("a", { class: "fstat", href, testid }, h("strong", { class: "fstat-n" }, String(n)), h("span", { class: "fstat-label" }, label));
}

export function profileView(ctx) {
  const handle = ctx.params.handle;
  const enc = encodeURIComponent(handle);
  const head = h("div", { class: "fprofile", testid: "profile-head" }, spinner());
  const list = postList(ctx, {
    testid: "profile-posts",
    fetch: (cursor) => feed.postsOf(handle, cursor),
    empty: { iconName: "moments", title: "No posts yet", testid: "profile-empty" },
  });
  let body = null;

  function paint(p) {
    const u = p.user;
    const followers = h("strong", { class: "fstat-n", testid: "profile-followers" }, String(p.followers_count));
    mount(
      head,
      h("div", { class: ["fprofile-cover", u.verified && `fprofile-cover--${u.verified}`] }),
      h(
        "div",
        { class: "fprofile-main" },
        avatar(u, { size: "xl" }),
        h(
          "div",
          { class: "fprofile-actions" },
          p.is_self
            ? h("a", { class: "btn btn--small btn--muted", href: "#/me/edit", testid: "profile-edit" }, "Edit profile")
            : followButton(handle, { following: p.following, followed_by: p.followed_by, mutual: p.mutual }, { small: true, onChange: (out) => (followers.textContent = String(out.followers_count)) }),
        ),
      ),
      h("h2", { class: "fprofile-name" }, h("span", { testid: "profile-name" }, u.display_name || u.handle), verifiedBadge(u, { testid: "profile-badge" })),
      h("p", { class: "fprofile-handle" }, `@${u.handle}`, p.followed_by && !p.is_self ? h("span", { class: "chip", testid: "profile-follows-you" }, "Follows you") : null),
      u.verified ? h("p", { class: ["fprofile-verified", `fprofile-verified--${u.verified}`], testid: "profile-verified" }, `${VERIFIED[u.verified] || "Verified"}${u.verified_reason ? `: ${u.verified_reason}` : ""}`) : null,
      p.bio ? h("p", { class: "fprofile-bio", testid: "profile-bio" }, p.bio) : null,
      p.region ? h("p", { class: "fprofile-region" }, p.region) : null,
      h(
        "div",
        { class: "fstats" },
        stat(p.posts_count, "Posts", `#/feed/u/${enc}`, "profile-posts-count"),
        stat(p.following_count, "Following", `#/feed/u/${enc}/following`, "profile-following"),
        h("a", { class: "fstat", href: `#/feed/u/${enc}/followers`, testid: "profile-followers-link" }, followers, h("span", { class: "fstat-label" }, "Followers")),
      ),
    );
    document.title = `${u.display_name || u.handle} · Hutong`;
  }

  feed
    .profile(handle)
    .then((p) => {
      if (!ctx.alive) return;
      paint(p);
      if (body) list.attach(body);
    })
    .catch((err) => {
      if (!ctx.alive) return;
      list.el.hidden = true;
      mount(head, emptyState({ iconName: "me", title: "No such person", text: err instanceof ApiError && err.status !== 404 ? err.detail : null, testid: "profile-missing" }));
    });

  return screen(ctx, {
    title: `@${handle}`,
    back: ctx.query.back || "/feed",
    testid: "screen-feed-profile",
    body: [head, list.el],
    bodyRef: (main) => (body = main),
  });
}
