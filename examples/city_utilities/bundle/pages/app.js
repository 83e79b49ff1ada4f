// City Utilities — the page. It runs in Hutong's sandboxed frame: no cookies, no storage, so
// the sign-in token from our backend lives in memory. The amount is never decided here: the
// backend looks the bill up by account number and asks Hutong for the payment.
"use strict";

(() => {
  const API = (window.APP_CONFIG && window.APP_CONFIG.api) || "http://127.0.0.1:9102";
  const POLL_MS = 1000;
  const ASK_HUTONG_AFTER_MS = 4000; // if the webhook has not arrived by then
  const ICONS = { Electricity: "⚡", Water: "💧", Gas: "🔥" };

  const $ = (id) => document.getElementById(id);
  const yuan = (fen) => "¥" + (fen / 100).toFixed(2);
  const state = { token: null, signingIn: null, bill: null, timer: 0 };

  let toastTimer = 0;
  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (t.hidden = true), 2500);
  }

  // The same check digit the backend checks (Luhn): a typo is caught before asking it.
  function luhnOk(number) {
    let total = 0;
    [...number].reverse().forEach((ch, i) => {
      const d = Number(ch) * (i % 2 ? 2 : 1);
      total += d > 9 ? d - 9 : d;
    });
    return total % 10 === 0;
  }

  function show(view) {
    for (const id of ["lookup-view", "bill-view", "receipt-view"]) $(id).hidden = id !== view;
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

  // -- finding a bill -------------------------------------------------------------------------

  async function lookup(event) {
    event.preventDefault();
    const account = $("account").value.replace(/\s+/g, "");
    const error = $("account-error");
    error.hidden = true;
    const problem = !/^\d{10}$/.test(account)
      ? "An account number has 10 digits."
      : !"123".includes(account[0])
        ? "No such service: the number starts with 1, 2 or 3."
        : !luhnOk(account)
          ? "That account number is mistyped (check digit)."
          : "";
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      return;
    }
    $("find").disabled = true;
    try {
      showBill(await call(`/api/bills/${account}`));
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      $("find").disabled = false;
    }
  }

  function showBill(bill) {
    state.bill = bill;
    $("bill-service").textContent = `${ICONS[bill.service] || ""} ${bill.service}`;
    $("bill-account").textContent = bill.account;
    $("bill-holder").textContent = bill.holder;
    $("bill-address").textContent = bill.address;
    $("bill-period").textContent = bill.period;
    $("bill-usage").textContent = `${bill.usage} ${bill.unit} × ${yuan(bill.rate)}`;
    $("bill-due").textContent = bill.due;
    $("bill-amount").textContent = yuan(bill.amount);
    const paid = bill.status === "paid";
    $("bill-paid").hidden = !paid;
    $("pay").hidden = paid;
    $("pay").textContent = `Pay ${yuan(bill.amount)}`;
    $("show-receipt").hidden = !paid;
    show("bill-view");
    hutong.setTitle(`${bill.service} bill`).catch(() => {});
  }

  // -- paying ---------------------------------------------------------------------------------

  async function pay() {
    const bill = state.bill;
    $("pay").disabled = true;
    try {
      const payment = await call(`/api/bills/${bill.account}/pay`, { method: "POST" });
      try {
        await hutong.requestPayment({ prepay_id: payment.prepay_id });
      } catch (err) {
        if (err.code === "cancelled") {
          toast("Payment cancelled.");
          return;
        }
        throw err;
      }
      $("receipt-title").textContent = "Confirming your payment…";
      showReceipt(payment);
      waitForReceipt(payment.id, Date.now());
    } catch (err) {
      toast(err.code === "already-paid" ? "This bill is already paid." : err.message);
    } finally {
      $("pay").disabled = false;
    }
  }

  async function waitForReceipt(id, since) {
    clearTimeout(state.timer);
    try {
      // The webhook normally confirms the payment within moments; if it is late, we ask our
      // backend to ask Hutong directly.
      const late = Date.now() - since > ASK_HUTONG_AFTER_MS;
      const payment = await call(`/api/payments/${id}` + (late ? "/check" : ""), {
        method: late ? "POST" : "GET",
      });
      if ($("receipt-view").hidden) return;
      showReceipt(payment);
      if (payment.status === "paid" || payment.status === "refunded") return;
    } catch {
      // try again below
    }
    state.timer = setTimeout(() => waitForReceipt(id, since), POLL_MS);
  }

  const TITLES = {
    paid: "Payment successful",
    // Someone else paid this bill first: this payment goes back to the payer.
    refunding: "Already paid by someone else: refunding your payment…",
    refunded: "Already paid by someone else: your payment was refunded",
  };

  function showReceipt(payment) {
    const paid = payment.status === "paid";
    const view = $("receipt-view");
    view.dataset.status = payment.status;
    $("receipt-title").textContent = TITLES[payment.status] || "Confirming your payment…";
    $("receipt-amount").textContent = yuan(payment.amount);
    $("receipt-no").textContent = payment.receipt_no || "—";
    $("receipt-paid-at").textContent = payment.paid_at ? new Date(payment.paid_at).toLocaleString() : "—";
    $("receipt-service").textContent = payment.service;
    $("receipt-account").textContent = payment.account;
    $("receipt-period").textContent = payment.period;
    show("receipt-view");
    hutong.setTitle(paid ? "Receipt" : payment.status === "unpaid" ? "Paying…" : "Refund").catch(() => {});
  }

  // -- recent receipts ------------------------------------------------------------------------

  async function loadHistory() {
    try {
      const { payments } = await call("/api/payments");
      const paid = payments.filter((p) => p.status === "paid").slice(0, 5);
      $("receipts").replaceChildren(
        ...paid.map((p) => {
          const li = document.createElement("li");
          const open = document.createElement("button");
          open.type = "button";
          open.textContent = `${ICONS[p.service] || ""} ${p.account} · ${p.period}`;
          open.addEventListener("click", () => showReceipt(p));
          const amount = document.createElement("span");
          amount.textContent = yuan(p.amount);
          li.append(open, amount);
          return li;
        }),
      );
      $("history").hidden = paid.length === 0;
    } catch {
      $("history").hidden = true;
    }
  }

  function backToLookup() {
    clearTimeout(state.timer);
    show("lookup-view");
    hutong.setTitle("City Utilities").catch(() => {});
    loadHistory();
  }

  async function start() {
    if (!window.hutong) {
      document.body.append("Open City Utilities inside Hutong.");
      return;
    }
    $("lookup").addEventListener("submit", lookup);
    for (const chip of document.querySelectorAll("[data-account]")) {
      chip.addEventListener("click", () => {
        $("account").value = chip.dataset.account;
        $("lookup").requestSubmit();
      });
    }
    $("pay").addEventListener("click", pay);
    $("back").addEventListener("click", backToLookup);
    $("done").addEventListener("click", backToLookup);
    $("show-receipt").addEventListener("click", () => state.bill && state.bill.receipt && showReceipt(state.bill.receipt));
    await hutong.ready;
    hutong.setTitle("City Utilities").catch(() => {});
    const account = hutong.launch && hutong.launch.query && hutong.launch.query.account;
    if (account) $("account").value = String(account).slice(0, 12);
    try {
      await signIn();
      loadHistory();
    } catch (err) {
      toast(err.message || "City Utilities cannot be reached right now.");
    }
  }

  start();
})();
