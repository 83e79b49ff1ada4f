// A hostile-and-curious mini-program page for the browser tests: it tries what an app
// might, and lists what happened. HOST (Hutong's origin) is prepended by the test.
const out = document.getElementById("out");
function log(key, value) {
  const li = document.createElement("li");
  li.dataset.key = key;
  li.textContent = String(value);
  out.append(li);
}
try { log("cookie", "read:" + document.cookie); } catch (e) { log("cookie", "blocked"); }
try { log("parent", "read:" + window.parent.document.title); } catch (e) { log("parent", "blocked"); }
try { localStorage.setItem("k", "v"); log("storage", "open"); } catch (e) { log("storage", "blocked"); }
log("path", hutong.launch.path + "|" + JSON.stringify(hutong.launch.query));
hutong.ready.then(() => log("ready", "yes"));
document.getElementById("login").onclick = () =>
  hutong.login().then((r) => log("login", r.code.length > 20 ? "code" : "short"), (e) => log("login", "error:" + e.code));
document.getElementById("profile").onclick = () =>
  hutong.getUserProfile().then((r) => log("profile", r.nickname), (e) => log("profile", "error:" + e.code));
document.getElementById("nav").onclick = () => hutong.navigateTo("pages/second.html?from=probe");
document.getElementById("forge").onclick = () => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => log("forged", "answered");
  window.parent.postMessage({ hutong: "hello", token: "not-the-token" }, "*", [ch.port2]);
  setTimeout(() => log("forged-done", "quiet"), 1000);
};
document.getElementById("fetch").onclick = () =>
  fetch(HOST + "/chats", { credentials: "include" }).then((r) => log("fetch", "status:" + r.status), () => log("fetch", "blocked"));
document.getElementById("scan").onclick = () =>
  hutong.scanCode().then((r) => log("scan", r.text), (e) => log("scan", "error:" + e.code));
document.getElementById("escape").onclick = () =>
  hutong.navigateTo("pages/../../x/pages/index.html").then(() => log("escape", "moved"), (e) => log("escape", "error:" + e.code));
