// DOM helpers: elements are built with textContent only, never from HTML strings.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "value") element.value = value;
    else if (name === "checked" || name === "selected") element[name] = Boolean(value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const DASH = "—";
export const fmt = {
  fidelity: (v) => (v == null ? DASH : v.toFixed(4)),
  interval: (ci) => (ci ? `[${ci[0].toFixed(4)}, ${ci[1].toFixed(4)}]` : DASH),
  ms: (v) => (v == null ? DASH : `${v.toFixed(1)} ms`),
  time: (t) => (t ? new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }) : DASH),
  value: (v) => (v == null ? DASH : typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(4) : Array.isArray(v) ? v.join(", ") : String(v)),
  short: (id) => (id ? id.slice(0, 8) : DASH),
};

export const badge = (text, kind = text) => h("span", { class: `badge ${kind}` }, text);

export function validationBadge(validation) {
  if (!validation) return badge("none");
  return validation.passed ? badge("passed") : badge("failed");
}

export function modeBadge(mode) {
  return mode === "simulated" ? badge("Simulated", "simulated") : mode ?? DASH;
}

// A table: columns are labels (a leading "#" marks a numeric column), rows arrays of cells.
export function table({ caption, columns, rows, hidden = false, id }) {
  const numeric = columns.map((c) => c.startsWith("#"));
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.replace(/^#/, ""))));
  const body = rows.map((row) =>
    h("tr", {}, row.map((cell, i) => h("td", { class: numeric[i] ? "num" : null }, cell ?? DASH))),
  );
  const element = h(
    "table",
    { class: hidden ? "sr-only" : null, id },
    caption ? h("caption", { class: hidden ? null : "sr-only" }, caption) : null,
    h("thead", {}, head),
    h("tbody", {}, body),
  );
  return hidden ? element : h("div", { class: "table-wrap" }, element);
}

export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value ?? DASH)]));
}

// Blob URLs made for download links, revoked when the page changes.
const blobs = new Set();
export function blobLink(text, filename, label) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  blobs.add(url);
  return h("a", { href: url, download: filename }, label);
}
export function revokeBlobs() {
  for (const url of blobs) URL.revokeObjectURL(url);
  blobs.clear();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
