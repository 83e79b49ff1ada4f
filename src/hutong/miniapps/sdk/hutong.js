// Hutong mini-program SDK. A page served from the mini-program origin includes it with
//   <script src="/sdk/hutong.js"></script>
// and calls `hutong.login()`, `hutong.requestPayment({prepay_id})` and the rest; each returns
// a Promise. The page runs in a sandboxed frame with an opaque origin: it never sees the
// user's session, and it reaches the host only through this channel.
//
// The channel: the host opened this page with `#hutong=<token>` in its URL. The SDK makes a
// MessageChannel and posts one port, with the token, to the parent window — addressed to the
// host's exact origin, so no other page can receive it. The host accepts it only from this
// frame (`event.source`), from an opaque origin, with the token it chose; from then on both
// sides talk over the private port, which dies with this document.
(function () {
  "use strict";
  var HOST = "__HUTONG_HOST_ORIGIN__";
  var params = new URLSearchParams(location.hash.slice(1));
  var token = params.get("hutong") || "";
  var channel = new MessageChannel();
  var port = channel.port1;
  var pending = new Map();
  var nextId = 1;
  var opened;
  var ready = new Promise(function (resolve) { opened = resolve; });

  function fail(code, message) {
    var err = new Error(message || code);
    err.code = code;
    return err;
  }

  port.onmessage = function (event) {
    var msg = event.data || {};
    if (msg.type === "ready") { opened(msg.launch || {}); return; }
    var waiter = pending.get(msg.id);
    if (!waiter) return;
    pending.delete(msg.id);
    if (msg.ok) waiter.resolve(msg.result);
    else waiter.reject(fail((msg.error && msg.error.code) || "failed", msg.error && msg.error.message));
  };
  port.start();

  function call(method, payload) {
    return ready.then(function () {
      return new Promise(function (resolve, reject) {
        var id = nextId++;
        pending.set(id, { resolve: resolve, reject: reject });
        port.postMessage({ id: id, method: method, params: payload || {} });
      });
    });
  }

  if (window.parent === window || !token) {
    console.warn("hutong: not running inside Hutong; SDK calls will wait forever");
  } else {
    window.parent.postMessage({ hutong: "hello", token: token }, HOST, [channel.port2]);
  }

  var path = location.pathname.split("/").slice(3).join("/");
  var query = {};
  new URLSearchParams(location.search).forEach(function (v, k) { query[k] = v; });

  window.hutong = Object.freeze({
    version: 1,
    ready: ready,
    launch: Object.freeze({ path: path, query: Object.freeze(query) }),
    login: function () { return call("login"); },
    getUserProfile: function () { return call("getUserProfile"); },
    requestPayment: function (order) { return call("requestPayment", { prepay_id: order && order.prepay_id }); },
    scanCode: function () { return call("scanCode"); },
    shareToChat: function (card) { return call("shareToChat", card || {}); },
    navigateTo: function (to) { return call("navigateTo", { path: String(to || "") }); },
    setTitle: function (title) { return call("setTitle", { title: String(title || "") }); },
  });
})();
