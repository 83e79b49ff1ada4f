// The grey-page search box: a real input styled as WeChat's rounded bar.

import { h } from "../dom.js";
import { icon } from "../icons.js";

export function searchInput({ placeholder = "Search", testid = "search", value = "", onInput, onEnter, autofocus = false }) {
  const input = h("input", { type: "search", class: "searchbar-input", placeholder, testid, value, enterkeyhint: "search", autocomplete: "off", "aria-label": placeholder });
  input.addEventListener("input", () => onInput?.(input.value));
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      onEnter?.(input.value);
    }
  });
  if (autofocus) requestAnimationFrame(() => input.focus());
  const el = h("label", { class: "searchbar searchbar--input" }, icon("search", { size: 16 }), input);
  el.input = input;
  return el;
}
