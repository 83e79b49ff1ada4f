// #/feed/p/:id — one post: the card (with its repost chain and original), then its comments
// (newest first, each with its first replies and "view all"), or the list of its reposts; a bar
// at the bottom to comment or to reply to a comment.

import { ApiError } from "../../api.js";
import * as feed from "../../data/feed.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import { ago } from "../../format.js";
import { navigate } from "../../router.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";
import { actionSheet, confirmSheet, toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { count } from "../../weibo_count.js";
import { authorName, likeButton, postCard, profileHref, richText, shortCount } from "./post.js";

export function detailView(ctx) {
  const id = Number(ctx.params.id);
  const head = h("div", { class: "fdetail-post" }, spinner());
  const tabs = h("div", { class: "fdetail-tabs", role: "tablist" });
  const pane = h("div", { class: "fdetail-pane" });
  let post = null;
  let tab = ctx.query.tab === "reposts" ? "reposts" : "comments";
  let replyTo = null; // {id, author}

  // -- the bottom bar -------------------------------------------------------------------------
  const input = h("input", { type: "text", class: "fbar-input", testid: "comment-input", placeholder: "Write a comment…", enterkeyhint: "send", maxlength: 5000, "aria-label": "Comment" });
  const sendBtn = h("button", { type: "button", class: "btn btn--primary btn--small", testid: "comment-send", disabled: true }, "Send");
  const replyNote = h("div", { class: "fbar-reply", testid: "comment-replying", hidden: true });
  const bar = h("footer", { class: "fbar", testid: "comment-bar" }, replyNote, h("div", { class: "fbar-row" }, input, sendBtn));

  const paintSend = () => {
    const c = count(input.value);
    sendBtn.disabled = !input.value.trim() || c.over;
    input.classList.toggle("is-over", c.over);
  };
  input.addEventListener("input", paintSend);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      if (!sendBtn.disabled) sendComment();
    } else if (e.key === "Escape") setReply(null);
  });
  sendBtn.addEventListener("click", sendComment);

  function setReply(target) {
    replyTo = target;
    replyNote.hidden = !target;
    if (target) {
      mount(replyNote, `Replying to ${target.author.display_name || target.author.handle}`, h("button", { type: "button", class: "link-btn", testid: "comment-reply-cancel", onclick: () => setReply(null) }, "Cancel"));
      input.placeholder = `Reply to @${target.author.handle}…`;
      input.focus();
    } else input.placeholder = "Write a comment…";
  }

  async function sendComment() {
    const text = input.value;
    sendBtn.disabled = true;
    try {
      await feed.comment(id, text, replyTo?.id || null);
      input.value = "";
      setReply(null);
      if (post) post.comments_count += 1;
      paintTabs();
      if (tab !== "comments") tab = "comments";
      loadPane();
    } catch (err) {
      toast(err instanceof ApiError ? err.detail : "Couldn't send the comment", { kind: "error" });
    }
    paintSend();
  }

  // -- comments -------------------------------------------------------------------------------
  function commentRow(c, { reply = false } = {}) {
    const mine = c.author.id === store.state.user?.id;
    const canDelete = mine || post?.author.id === store.state.user?.id;
    const more = canDelete
      ? h("button", {
          type: "button",
          class: "fcomment-more",
          testid: "comment-more",
          "aria-label": "More",
          onclick: async (e) => {
            e.stopPropagation();
            const what = await actionSheet({ actions: [{ label: "Delete", value: "delete", danger: true, testid: "comment-delete" }] });
            if (what !== "delete") return;
            try {
              await feed.removeComment(c.id);
              if (post) post.comments_count = Math.max(0, post.comments_count - 1 - (reply ? 0 : c.replies_count));
              paintTabs();
              loadPane();
            } catch (err) {
              toast(err instanceof ApiError ? err.detail : "Couldn't delete", { kind: "error" });
            }
          },
        }, icon("more", { size: 18 }))
      : null;
    const to = c.reply_to?.user && c.root_comment_id !== c.reply_to.comment_id ? h("span", {}, "Reply ", h("a", { class: "ftext-mention", href: profileHref(c.reply_to.user.handle) }, `@${c.reply_to.user.display_name || c.reply_to.user.handle}`), "：") : null;
    const replies = reply ? null : h("div", { class: "freplies", testid: "comment-replies" }, c.replies.map((r) => commentRow(r, { reply: true })));
    if (!reply && c.replies_count > c.replies.length) {
      const all = h("button", { type: "button", class: "link-btn freplies-all", testid: "comment-all-replies" }, `View all ${c.replies_count} replies`);
      all.addEventListener("click", async () => {
        all.disabled = true;
        try {
          let cursor = null;
          const rows = [];
          do {
            const page = await feed.replies(c.id, cursor);
            rows.push(...page.items);
            cursor = page.next_cursor;
          } while (cursor && rows.length < 200 && ctx.alive);
          mount(replies, rows.map((r) => commentRow(r, { reply: true })));
        } catch (err) {
          all.disabled = false;
          toast(err instanceof ApiError ? err.detail : "Couldn't load replies", { kind: "error" });
        }
      });
      replies.append(all);
    }
    return h(
      "div",
      { class: ["fcomment", reply && "fcomment--reply"], testid: reply ? "reply" : "comment", dataset: { id: c.id } },
      h("a", { href: profileHref(c.author.handle), class: "fcomment-avatar" }, avatar(c.author, { size: reply ? "sm" : "md" })),
      h(
        "div",
        { class: "fcomment-body" },
        h("div", { class: "fcomment-head" }, authorName(c.author, { testid: "comment-author" }), more),
        h("div", { class: "fcomment-text", testid: "comment-text", onclick: () => setReply(c) }, to, richText(c.text, c.mentions)),
        h(
          "div",
          { class: "fcomment-meta" },
          h("span", {}, ago(c.created_at)),
          h("button", { type: "button", class: "link-btn", testid: "comment-reply", onclick: () => setReply(c) }, "Reply"),
          likeButton(c, { onToggle: (on) => feed.likeComment(c.id, on), testid: "comment-like" }),
        ),
        replies,
      ),
    );
  }

  async function pageThrough(fetch, render, emptyOpts) {
    const list = h("div", { class: "fdetail-list" });
    const foot = h("div", { class: "flist-foot" }, spinner());
    mount(pane, list, foot);
    let cursor = null;
    const next = async () => {
      try {
        const page = await fetch(cursor);
        if (!ctx.alive) return;
        for (const item of page.items) list.append(render(item));
        cursor = page.next_cursor;
        if (!list.childElementCount) mount(foot, emptyState(emptyOpts));
        else if (cursor) mount(foot, h("button", { type: "button", class: "link-btn", testid: "detail-more", onclick: () => (mount(foot, spinner()), next()) }, "More"));
        else foot.replaceChildren();
      } catch (err) {
        mount(foot, h("p", { class: "flist-error" }, err instanceof ApiError ? err.detail : "Couldn't load"));
      }
    };
    await next();
  }

  function repostRow(p) {
    return h(
      "a",
      { class: "frepost", href: `#/feed/p/${p.id}`, testid: "repost-row", dataset: { id: p.id } },
      avatar(p.author, { size: "sm" }),
      h("div", { class: "frepost-body" }, authorName(p.author, { testid: "repost-author" }), h("div", { class: "frepost-text" }, p.text ? richText(p.text, p.mentions) : "Repost"), h("div", { class: "fcomment-meta" }, ago(p.created_at))),
    );
  }

  function loadPane() {
    if (tab === "comments") {
      return pageThrough((c) => feed.comments(id, c), (c) => commentRow(c), { iconName: "message", title: "No comments yet", text: "Be the first to say something.", testid: "comments-empty" });
    }
    return pageThrough((c) => feed.repostsOf(id, c), repostRow, { iconName: "share", title: "No reposts yet", testid: "reposts-empty" });
  }

  function paintTabs() {
    if (!post) return;
    const t = (name, label, n) =>
      h(
        "button",
        { type: "button", role: "tab", class: ["fdetail-tab", tab === name && "is-active"], "aria-selected": String(tab === name), testid: `detail-tab-${name}`, onclick: () => {
          if (tab === name) return;
          tab = name;
          paintTabs();
          loadPane();
        } },
        `${label} ${shortCount(n, "0")}`,
      );
    mount(tabs, t("reposts", "Reposts", post.reposts_count), t("comments", "Comments", post.comments_count), h("span", { class: "fdetail-likes", testid: "detail-likes" }, `Likes ${shortCount(post.likes_count, "0")}`));
  }

  // Someone commented on my post while I look at it: show it.
  ctx.on("event:microblog.comment", ({ event }) => {
    if (event.payload?.post_id === id && post && tab === "comments") {
      post.comments_count += 1;
      paintTabs();
      loadPane();
    }
  });

  const actions = [];
  const moreBtn = h("button", { type: "button", class: "topbar-btn", testid: "post-more", "aria-label": "More", hidden: true }, icon("more"));
  moreBtn.addEventListener("click", async () => {
    const what = await actionSheet({ actions: [{ label: "Delete post", value: "delete", danger: true, testid: "post-delete" }] });
    if (what !== "delete" || !(await confirmSheet({ title: "Delete this post?", message: "It disappears from every timeline.", confirmLabel: "Delete", danger: true }))) return;
    try {
      await feed.remove(id);
      toast("Deleted");
      navigate("/feed", { replace: true });
    } catch (err) {
      toast(err instanceof ApiError ? err.detail : "Couldn't delete", { kind: "error" });
    }
  });
  actions.push(moreBtn);

  feed
    .post(id)
    .then((p) => {
      if (!ctx.alive) return;
      post = p;
      mount(head, postCard(p, { detail: true, onComment: () => input.focus() }));
      moreBtn.hidden = !(p.author.id === store.state.user?.id || ["admin", "moderator"].includes(store.state.user?.role));
      paintTabs();
      loadPane();
    })
    .catch((err) => {
      if (!ctx.alive) return;
      bar.hidden = true;
      const gone = err instanceof ApiError && err.status === 410;
      mount(head, emptyState({ iconName: "alert", title: gone ? "This post has been deleted" : "Post not found", text: err instanceof ApiError && !gone ? err.detail : null, testid: "post-missing" }));
    });

  return screen(ctx, {
    title: "Post",
    back: ctx.query.back || "/feed",
    testid: "screen-feed-post",
    actions,
    body: [head, tabs, pane],
    footer: bar,
  });
}
