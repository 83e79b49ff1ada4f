// Dumpling House — the page. It runs in Hutong's sandboxed frame: no cookies, no storage, so
// the sign-in token from our backend lives in memory. Money is never decided here: the page
// sends dish ids and quantities; the backend prices them and asks Hutong for a payment.
"use strict";

(() => {
  const API = (window.APP_CONFIG && window.APP_CONFIG.api) || "http://127.0.0.1:9101";
  const POLL_MS = 1500;
  const ASK_HUTONG_AFTER_MS = 5000; // if the webhook has not arrived by then
  const STEPS = ["paid", "cooking", "ready"];
  const STATUS_TEXT = {
    created: "Waiting for your payment…",
    paid: "Paid — the kitchen has your order",
    cooking: "Cooking — your dumplings are in the pot",
    ready: "Ready! Show your number at the counter",
  };

  const $ = (id) => document.getElementById(id);
  const yuan = (fen) => "¥" + (fen / 100).toFixed(2);
  const state = { token: null, signingIn: null, dishes: [], cart: new Map(), order: null, timer: 0 };

  function el(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }

  let toastTimer = 0;
  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (t.hidden = true), 2500);
  }

  // -- our backend ----------------------------------------------------------------------------

  function signIn() {
    if (state.token) return Promise.resolve(state.token);
    if (!state.signingIn) {
      state.signingIn = hutong
        .login()
        .then(({ code }) => call("/api/login", { method: "POST", body: { code }, auth: false }))
        .then((r) => (state.token = r.token))
        .finally(() => (state.signingIn = null));
    }
    return state.signingIn;
  }

  async function call(path, { method = "GET", body, auth = true, retry = true } = {}) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth) headers.Authorization = "Bearer " + (await signIn());
    const res = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (res.status === 401 && auth && retry) {
      state.token = null; // our session expired: sign in again once
      return call(path, { method, body, auth, retry: false });
    }
    if (!res.ok) {
      const err = new Error(data.message || "Something went wrong, please try again.");
      err.code = data.error || "failed";
      throw err;
    }
    return data;
  }

  // -- the menu and the cart ------------------------------------------------------------------

  function renderMenu() {
    const list = $("menu");
    list.replaceChildren(
      ...state.dishes.map((dish) => {
        const qty = state.cart.get(dish.id) || 0;
        const picture = dish.emoji
          ? el("span", { className: "dish-img", textContent: dish.emoji })
          : el("span", { className: "dish-img" }, el("img", { src: "../images/dumpling.svg", alt: "" }));
        const minus = el("button", {
          className: "minus",
          type: "button",
          textContent: "−",
          hidden: qty === 0,
          ariaLabel: `Remove one ${dish.name}`,
          onclick: () => setQty(dish.id, qty - 1),
        });
        const plus = el("button", {
          type: "button",
          textContent: "+",
          ariaLabel: `Add ${dish.name}`,
          onclick: () => setQty(dish.id, qty + 1),
        });
        plus.dataset.add = dish.id;
        const count = el("span", { className: "qty", textContent: qty ? String(qty) : "" });
        return el(
          "li",
          { className: "dish" },
          picture,
          el(
            "div",
            { className: "dish-text" },
            el("p", { className: "dish-name" }, dish.name, el("span", { className: "dish-zh", lang: "zh", textContent: dish.zh })),
            el("p", { className: "dish-note", textContent: dish.note }),
            el("span", { className: "price", textContent: yuan(dish.price) }),
          ),
          el("div", { className: "stepper" }, minus, count, plus),
        );
      }),
    );
    $("menu-empty").hidden = state.dishes.length > 0;
  }

  function setQty(id, qty) {
    if (qty <= 0) state.cart.delete(id);
    else state.cart.set(id, Math.min(qty, 50));
    renderMenu();
    renderCart();
  }

  function renderCart() {
    let count = 0;
    let total = 0; // shown to the user; the backend computes the amount charged
    for (const dish of state.dishes) {
      const qty = state.cart.get(dish.id) || 0;
      count += qty;
      total += qty * dish.price;
    }
    $("cart-count").textContent = count ? `${count} item${count > 1 ? "s" : ""}` : "Your cart is empty";
    $("cart-total").textContent = yuan(total);
    $("pay").disabled = count === 0;
    $("pay").textContent = count ? `Pay ${yuan(total)}` : "Pay";
  }

  // -- paying ---------------------------------------------------------------------------------

  async function pay() {
    const items = [...state.cart].map(([id, qty]) => ({ id, qty }));
    $("pay").disabled = true;
    try {
      const order = await call("/api/orders", { method: "POST", body: { items } });
      try {
        await hutong.requestPayment({ prepay_id: order.prepay_id });
      } catch (err) {
        if (err.code === "cancelled") {
          toast("Payment cancelled — your cart is still here.");
          return;
        }
        throw err;
      }
      state.cart.clear();
      renderCart();
      renderMenu();
      showOrder(order, Date.now());
    } catch (err) {
      toast(err.message || "Payment failed.");
    } finally {
      $("pay").disabled = state.cart.size === 0;
    }
  }

  // -- an order's progress --------------------------------------------------------------------

  function showOrder(order, since = Date.now()) {
    state.order = order;
    $("menu-view").hidden = true;
    $("cartbar").hidden = true;
    $("order-view").hidden = false;
    renderOrder(order);
    clearTimeout(state.timer);
    if (order.status !== "ready") state.timer = setTimeout(() => refresh(since), POLL_MS);
  }

  async function refresh(since) {
    if (!state.order || $("order-view").hidden) return;
    const id = state.order.id;
    try {
      // The webhook normally marks the order paid within moments; if it is late, we ask
      // our backend to ask Hutong directly.
      const late = state.order.status === "created" && Date.now() - since > ASK_HUTONG_AFTER_MS;
      const order = await call(`/api/orders/${id}` + (late ? "/check" : ""), {
        method: late ? "POST" : "GET",
      });
      if (state.order && state.order.id === id) showOrder(order, since);
    } catch {
      state.timer = setTimeout(() => refresh(since), POLL_MS * 2);
    }
  }

  function renderOrder(order) {
    const view = $("order-view");
    view.dataset.status = order.status;
    $("pickup").textContent = order.pickup;
    $("status-text").textContent = STATUS_TEXT[order.status] || order.status;
    const reached = STEPS.indexOf(order.status);
    for (const li of view.querySelectorAll(".steps li")) {
      li.classList.toggle("done", STEPS.indexOf(li.dataset.step) <= reached);
    }
    $("order-lines").replaceChildren(
      ...order.items.map((line) =>
        el("li", {}, el("span", { textContent: `${line.qty} × ${line.name}` }), el("span", { textContent: yuan(line.qty * line.price) })),
      ),
    );
    $("order-total").textContent = yuan(order.total);
    $("order-no").textContent = order.out_trade_no;
    hutong.setTitle(order.status === "ready" ? `${order.pickup} is ready` : `Order ${order.pickup}`).catch(() => {});
  }

  // An order of the last hours still on its way (or waiting at the counter), shown above the
  // menu when the app is opened again.
  async function showCurrent() {
    const { orders } = await call("/api/orders");
    const recent = orders.find(
      (o) => o.status !== "created" && Date.now() / 1000 - o.created_at < 3 * 3600,
    );
    const banner = $("current");
    banner.hidden = !recent;
    if (!recent) return;
    banner.textContent = `Your order ${recent.pickup}: ${STATUS_TEXT[recent.status]} ›`;
    banner.onclick = () => showOrder(recent);
  }

  function backToMenu() {
    clearTimeout(state.timer);
    state.order = null;
    $("order-view").hidden = true;
    $("menu-view").hidden = false;
    $("cartbar").hidden = false;
    hutong.setTitle("Dumpling House").catch(() => {});
    showCurrent().catch(() => {});
  }

  // -- the host's other features --------------------------------------------------------------

  async function share() {
    try {
      await hutong.shareToChat({
        title: "Dumpling House — hand-folded dumplings, ready in 20 minutes",
        path: "pages/index.html",
        image_url: "images/card.png", // a picture of the bundle: PNG, JPEG, GIF or WebP
      });
    } catch (err) {
      if (err.code !== "cancelled") toast("Could not share: " + err.message);
    }
  }

  async function useProfile() {
    try {
      const profile = await hutong.getUserProfile();
      $("hello").textContent = `Hi, ${profile.nickname}! What are we having today?`;
      $("profile").hidden = true;
    } catch (err) {
      if (err.code === "denied") toast("No problem — you can still order.");
    }
  }

  async function start() {
    if (!window.hutong) {
      $("menu-empty").textContent = "Open Dumpling House inside Hutong.";
      return;
    }
    $("pay").addEventListener("click", pay);
    $("again").addEventListener("click", backToMenu);
    $("share").addEventListener("click", share);
    $("profile").addEventListener("click", useProfile);
    await hutong.ready;
    hutong.setTitle("Dumpling House").catch(() => {});
    try {
      const [menu] = await Promise.all([call("/api/menu", { auth: false }), signIn()]);
      state.dishes = menu.dishes;
      renderMenu();
      renderCart();
      const wanted = Number((hutong.launch && hutong.launch.query && hutong.launch.query.order) || 0);
      if (wanted) showOrder(await call(`/api/orders/${wanted}`));
      else await showCurrent();
    } catch (err) {
      $("menu-empty").textContent = "The shop cannot be reached right now.";
      toast(err.message || "The shop cannot be reached right now.");
    }
  }

  start();
})();
