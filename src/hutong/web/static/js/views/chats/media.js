// Photos full screen, voice notes played one at a time, and recording them.
//
// Voice notes are recorded with MediaRecorder and sent as 16 kHz mono WAV (decoded and
// re-encoded here): browsers record WebM/Opus, which the server's byte sniffing takes for video,
// while every browser plays WAV.

import { h } from "../../dom.js";
import { icon } from "../../icons.js";

/** Show a photo over everything; click or Escape closes it. */
export function openImage(src, placeholder) {
  const img = h("img", { class: "lightbox-img", src: placeholder || src, alt: "Photo", testid: "lightbox-img" });
  if (placeholder && placeholder !== src) {
    const full = new Image();
    full.onload = () => (img.src = src);
    full.src = src;
  }
  const close = () => {
    removeEventListener("keydown", onKey, true);
    box.remove();
  };
  const onKey = (e) => e.key === "Escape" && (e.preventDefault(), close());
  const box = h(
    "div",
    { class: "lightbox", testid: "lightbox", role: "dialog", "aria-label": "Photo", onclick: close },
    img,
    h("a", { class: "lightbox-save", href: src, download: "photo", "aria-label": "Save photo", onclick: (e) => e.stopPropagation() }, icon("download")),
  );
  document.body.append(box);
  addEventListener("keydown", onKey, true);
}

let playing = null; // {audio, btn}

/** Play a voice note (stopping any other); a second tap stops it. */
export function playVoice(src, btn) {
  const same = playing?.btn === btn;
  if (playing) {
    playing.audio.pause();
    playing.btn.classList.remove("is-playing");
    playing = null;
  }
  if (same) return;
  const audio = new Audio(src);
  playing = { audio, btn };
  btn.classList.add("is-playing");
  const done = () => {
    btn.classList.remove("is-playing");
    if (playing?.audio === audio) playing = null;
  };
  audio.addEventListener("ended", done);
  audio.addEventListener("error", done);
  audio.play().catch(done);
}

export function stopVoice() {
  if (playing) playVoice(playing.audio.src, playing.btn);
}

function wav(buffer) {
  const samples = buffer.getChannelData(0);
  const rate = buffer.sampleRate;
  const out = new DataView(new ArrayBuffer(44 + samples.length * 2));
  const str = (o, s) => [...s].forEach((c, i) => out.setUint8(o + i, c.charCodeAt(0)));
  str(0, "RIFF");
  out.setUint32(4, 36 + samples.length * 2, true);
  str(8, "WAVE");
  str(12, "fmt ");
  out.setUint32(16, 16, true);
  out.setUint16(20, 1, true);
  out.setUint16(22, 1, true);
  out.setUint32(24, rate, true);
  out.setUint32(28, rate * 2, true);
  out.setUint16(32, 2, true);
  out.setUint16(34, 16, true);
  str(36, "data");
  out.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    out.setInt16(44 + i * 2, v < 0 ? v * 0x8000 : v * 0x7fff, true);
  }
  return new Blob([out], { type: "audio/wav" });
}

/** A recorded blob as 16 kHz mono WAV, and its length in seconds. */
export async function toWav(blob) {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  const ctx = new Ctx();
  try {
    const decoded = await ctx.decodeAudioData(await blob.arrayBuffer());
    const rate = 16000;
    const off = new OfflineAudioContext(1, Math.max(1, Math.ceil(decoded.duration * rate)), rate);
    const src = off.createBufferSource();
    src.buffer = decoded;
    src.connect(off.destination);
    src.start();
    const rendered = await off.startRendering();
    return { blob: wav(rendered), duration: decoded.duration };
  } finally {
    ctx.close?.();
  }
}

export function canRecord() {
  return Boolean(navigator.mediaDevices?.getUserMedia && window.MediaRecorder);
}

/**
 * Start recording from the microphone. Resolves {stop() → Promise<{blob, duration}>, cancel()}.
 * Throws when there is no microphone or permission was refused.
 */
export async function startRecording() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const chunks = [];
  const rec = new MediaRecorder(stream);
  const started = performance.now();
  rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
  const finished = new Promise((resolve) => (rec.onstop = resolve));
  rec.start(250);
  const release = () => stream.getTracks().forEach((t) => t.stop());
  return {
    started,
    async stop() {
      if (rec.state !== "inactive") rec.stop();
      await finished;
      release();
      const raw = new Blob(chunks, { type: rec.mimeType || "audio/webm" });
      const elapsed = (performance.now() - started) / 1000;
      try {
        return await toWav(raw);
      } catch {
        return { blob: raw, duration: elapsed };
      }
    },
    cancel() {
      if (rec.state !== "inactive") rec.stop();
      release();
    },
  };
}
