// #/contacts/scan — Scan a QR code: live with the camera where the browser has BarcodeDetector,
// or by uploading a photo or screenshot, which the server decodes. Hutong codes resolve to a
// person (add as friend), a group chat (join), an invitation, or a desktop asking to log in.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import { navigate } from "../../router.js";
import { screen, spinner } from "../../ui/layout.js";
import { qrResult, tokenIn } from "./qrresult.js";

const SCAN_MAX = 10 * 1024 * 1024;

async function cameraDetector() {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return null;
  try {
    const formats = await BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch {
    return null;
  }
}

export function scanView(ctx) {
  const result = h("div", { class: "scan-out", testid: "scan-out", "aria-live": "polite" });
  const fileInput = h("input", { type: "file", accept: "image/*", class: "sr-only", id: "scan-file", testid: "scan-file" });
  const pick = h("label", { class: "btn btn--primary btn--block", for: "scan-file", testid: "scan-upload" }, icon("image", { size: 18 }), "Choose a Photo");
  const cameraBtn = h("button", { type: "button", class: "btn btn--ghost btn--block", testid: "scan-camera", hidden: true }, icon("camera", { size: 18 }), "Use Camera");
  const video = h("video", { class: "scan-video", muted: true, playsinline: true, autoplay: true });
  const viewfinder = h("div", { class: "scan-viewfinder", testid: "scan-viewfinder", hidden: true }, video, h("span", { class: "scan-frame", "aria-hidden": "true" }), h("span", { class: "scan-line", "aria-hidden": "true" }));
  let stream = null;
  let detector = null;
  let scanning = false;

  function stopCamera() {
    scanning = false;
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    viewfinder.hidden = true;
  }
  ctx.onCleanup(stopCamera);

  function problem(text) {
    mount(result, h("div", { class: "banner banner--error", testid: "scan-error", role: "alert" }, text));
  }

  function show(out) {
    if ((out.kind === "login" || out.kind === "pay") && out.token) return navigate(`/qr/${out.token}`);
    const el = qrResult(out);
    mount(result, el || h("div", { class: "banner banner--warning", testid: "scan-error" }, "This version of Hutong doesn't know this kind of QR code yet."));
  }

  async function resolveText(text) {
    const token = tokenIn(text);
    if (!token) return show({ kind: "text", text });
    mount(result, spinner("Looking it up…"));
    try {
      const res = await api.get(`/api/qr/${encodeURIComponent(token)}`, { signal: ctx.signal });
      if (ctx.alive) show({ kind: res.kind, token, result: res, text });
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) problem(err.detail);
    }
  }

  async function upload(file) {
    if (file.size > SCAN_MAX) return problem("That image is larger than 10 MB.");
    const body = new FormData();
    body.append("file", file);
    mount(result, spinner("Reading the code…"));
    try {
      const out = await api.postForm("/contacts/scan", body, { signal: ctx.signal });
      if (ctx.alive) show(out);
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) problem(err.detail);
    }
  }

  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    fileInput.value = "";
    if (file) upload(file);
  });

  async function startCamera() {
    mount(result);
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch {
      return problem("The camera isn't available. Choose a photo of the code instead.");
    }
    if (!ctx.alive) return stopCamera();
    video.srcObject = stream;
    viewfinder.hidden = false;
    scanning = true;
    const tick = async () => {
      if (!scanning || !ctx.alive) return;
      try {
        if (video.readyState >= 2) {
          const [code] = await detector.detect(video);
          if (code?.rawValue) {
            stopCamera();
            return resolveText(code.rawValue);
          }
        }
      } catch {
        // a frame that could not be read; try the next one
      }
      ctx.setTimeout(tick, 250);
    };
    tick();
  }
  cameraBtn.addEventListener("click", startCamera);

  cameraDetector().then((d) => {
    if (!ctx.alive || !d) return;
    detector = d;
    cameraBtn.hidden = false;
  });

  return screen(ctx, {
    title: "Scan",
    back: ctx.query.back === "discover" ? "/discover" : "/contacts/add",
    testid: "screen-scan",
    body: [
      h(
        "div",
        { class: "scan-intro" },
        viewfinder,
        h("span", { class: "scan-hero", "aria-hidden": "true" }, icon("scan", { size: 48 })),
        h("p", { class: "scan-help" }, "Scan a friend's QR code, a group's code, or a desktop login code. No camera? Choose a photo or a screenshot of it."),
        h("div", { class: "scan-buttons" }, cameraBtn, pick, fileInput),
      ),
      result,
    ],
  });
}
