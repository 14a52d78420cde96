// DOM helpers. Every string from the server goes in as text: nothing here parses HTML.

/** An element with properties and children; strings and numbers become text nodes. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "data") for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "href") el.setAttribute("href", v.startsWith("#") ? v : "#");
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  add(el, children);
  return el;
}

/** Appends children (nested arrays allowed; null, undefined and false are skipped). */
export function add(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return add(el, children);
}

/** A table with a header row and rows of cells (each a node, a string or a [props, ...] pair). */
export function table(cls, headers, rows) {
  return h(
    "table",
    { class: cls },
    h("thead", null, h("tr", null, headers.map((x) => h("th", null, x)))),
    h("tbody", null, rows),
  );
}

/** An ISO time as local date and time, or "" when absent. */
export function time(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** A field that may be absent (Optional values are left out or null on the wire). */
export function opt(v, none = "—") {
  return v === undefined || v === null || v === "" ? none : String(v);
}

/** Seconds as "1m 05s" (or "expired"). */
export function countdown(ms) {
  if (ms <= 0) return "expired";
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
