// Building blocks for the pages. Every value reaches the page through textContent or an
// attribute set by setAttribute: nothing a user typed is ever parsed as HTML.

/** An element: h("a", {href: "#/x", class: "btn"}, "text", child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element (attributes only; text through textContent). */
export function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Replace the page's main content. */
export function render(...children) {
  const main = document.getElementById("main");
  main.replaceChildren();
  append(main, children);
  return main;
}

export function flash(message, kind = "info") {
  const box = document.getElementById("flash");
  box.replaceChildren(h("p", { class: `flash ${kind}` }, message));
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => box.replaceChildren(), 6000);
}

/** An API error as a message block, with its suggestion when the API gave one. */
export function errorBlock(err, title = "Something went wrong") {
  const suggestion = err?.suggestion;
  return h(
    "div",
    { class: "error-box", role: "alert" },
    h("strong", {}, title),
    h("p", {}, err?.message ?? String(err)),
    err?.code ? h("p", { class: "muted" }, `code: ${err.code}`) : null,
    suggestion ? h("p", {}, "Suggestion: ", h("code", {}, suggestion)) : null,
    err?.status === 401 ? h("p", {}, h("a", { href: "#/signin" }, "Sign in")) : null,
  );
}

export function emptyState(text, ...actions) {
  return h("div", { class: "empty" }, h("p", {}, text), ...actions);
}

/** A confirmation dialog; resolves to the text entered (or "" ) when confirmed, null if not. */
export function confirmDialog({ title, text, confirmLabel, danger = false, noteLabel = null }) {
  return new Promise((resolve) => {
    const note = noteLabel ? h("input", { id: "dialog-note", type: "text", maxlength: 512 }) : null;
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": "dialog-title" },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: "dialog-title" }, title),
        h("p", {}, text),
        note ? h("label", { for: "dialog-note" }, noteLabel) : null,
        note,
        h(
          "div",
          { class: "actions" },
          h("button", { value: "cancel", type: "submit", class: "btn" }, "Cancel"),
          h(
            "button",
            { value: "ok", type: "submit", class: danger ? "btn danger" : "btn primary" },
            confirmLabel,
          ),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      const ok = dialog.returnValue === "ok";
      dialog.remove();
      resolve(ok ? (note ? note.value : "") : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    (note ?? dialog.querySelector("button[value=cancel]")).focus();
  });
}

// --- time: always with its zone, so no time on the page is ambiguous ----------------

const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function browserZone() {
  return localZone;
}

/** "2026-11-30 09:00:00 GMT+1" in `zone` (the browser's by default). */
export function formatTime(value, zone = localZone) {
  if (!value) return "—";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "shortOffset",
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const offset = /^(GMT|UTC)([+-]0)?$/.test(parts.timeZoneName) ? "UTC" : parts.timeZoneName.replace("GMT", "UTC");
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${offset}`;
}

/** A <time> showing the browser's local time, with the schedule zone's time beside it. */
export function timeCell(value, zone) {
  if (!value) return h("span", { class: "muted" }, "—");
  const local = formatTime(value);
  const el = h("time", { datetime: new Date(value).toISOString(), title: new Date(value).toISOString() }, local);
  if (zone && zone !== localZone) {
    return h("span", {}, el, h("br"), h("small", { class: "muted" }, zone === "UTC" ? formatTime(value, zone) : `${formatTime(value, zone)} ${zone}`));
  }
  return el;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function statusBadge(status) {
  if (!status) return h("span", { class: "muted" }, "—");
  return h("span", { class: `badge s-${String(status).toLowerCase()}` }, status);
}

// Characters that change how text around them looks or reads without being seen: C0/C1
// controls, bidi marks, embeddings, overrides and isolates, zero-width characters.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/gu;

/** Text someone else typed (an endpoint), shown as it is: isolated from the page's text
 * direction, every invisible character shown as a visible ⟨U+XXXX⟩ mark, so an
 * override cannot make one address read as another. */
export function visibleText(value) {
  const text = String(value ?? "");
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(INVISIBLE)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    const code = `U+${match[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    parts.push(h("span", { class: "invisible", title: `invisible character ${code}` }, `⟨${code}⟩`));
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return h("bdi", {}, parts);
}
