// The subscriptions page: where the tenant's lifecycle events are delivered. Lists the
// endpoints with their filter and confirmation status, subscribes a new one, deletes one.

import { api } from "./api.js";
import { confirmDialog, emptyState, errorBlock, flash, h, render, timeCell, visibleText } from "./dom.js";

// The API's vocabulary (EventType and EVENT_STATUSES in jobscheduler.models); a test
// keeps these lists equal to it.
export const EVENT_TYPES = [
  "schedule.created",
  "schedule.updated",
  "schedule.paused",
  "schedule.resumed",
  "schedule.deleted",
  "schedule.completed",
  "schedule.missed",
  "schedule.repaired",
  "schedule.auto_paused",
  "execution.started",
  "execution.succeeded",
  "execution.failed",
  "execution.skipped",
];
export const EVENT_STATUSES = ["ACTIVE", "PAUSED", "COMPLETED", "DELETED", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "SKIPPED"];

const PROTOCOLS = {
  https: { label: "HTTPS", example: "https://hooks.example.com/jobs" },
  http: { label: "HTTP", example: "http://hooks.example.com/jobs" },
  email: { label: "Email", example: "ops@example.com" },
  sqs: { label: "SQS queue", example: "arn:aws:sqs:eu-west-1:123456789012:job-events" },
  lambda: { label: "Lambda function", example: "arn:aws:lambda:eu-west-1:123456789012:function:on-job-event" },
};
const STATUS_TEXT = {
  pending_confirmation: ["pending confirmation", "Nothing is delivered until the endpoint confirms (SNS sent it a confirmation message or email)."],
  confirmed: ["confirmed", null],
  expired: ["expired", "SNS no longer knows it (an unconfirmed one expires after 3 days): delete it and subscribe again."],
  creating: ["creating", "Its creation was interrupted: delete it to clean up."],
};
const PAGE = 25;
// Endpoints may be 2,048 characters long: longer ones are cut in the list, whole on demand.
const SHORT = 120;

function endpointText(endpoint, id) {
  const chars = Array.from(endpoint);
  if (chars.length <= SHORT + 40) return h("code", { class: "endpoint", id }, visibleText(endpoint));
  return h(
    "div",
    { id },
    h("code", { class: "endpoint" }, visibleText(chars.slice(0, SHORT).join("")), "…"),
    h("details", {}, h("summary", {}, `All ${chars.length} characters`), h("code", { class: "endpoint" }, visibleText(endpoint))),
  );
}

function scheduleRef(id, names) {
  if (id in names) return h("a", { href: `#/schedules/${encodeURIComponent(id)}` }, names[id]);
  // Not (or no longer) one of the tenant's schedules: it matches nothing, say so.
  return h("span", {}, h("code", {}, id), h("span", { class: "muted" }, " (no such schedule)"));
}

function filterSummary(filter, names) {
  const lines = [];
  const line = (label, ...value) => lines.push(h("div", {}, h("span", { class: "muted" }, `${label}: `), ...value));
  if (filter?.event_types?.length) line("Events", filter.event_types.join(", "));
  if (filter?.statuses?.length) line("Statuses", filter.statuses.join(", "));
  if (filter?.schedule_ids?.length) line("Schedules", filter.schedule_ids.flatMap((id, i) => [i ? ", " : null, scheduleRef(id, names)]));
  return lines.length ? lines : h("span", {}, "Every event of this tenant");
}

function row(sub, names, onDelete) {
  const endpointId = `endpoint-${sub.id}`;
  const [label, help] = STATUS_TEXT[sub.status] ?? [sub.status, null];
  return h(
    "tr",
    { dataset: { id: sub.id, status: sub.status }, tabindex: -1 },
    h("td", { "data-label": "Endpoint", class: "wrap" }, endpointText(sub.endpoint, endpointId), h("div", { class: "muted" }, PROTOCOLS[sub.protocol]?.label ?? sub.protocol)),
    h("td", { "data-label": "Delivers", class: "wrap" }, filterSummary(sub.filter, names)),
    h("td", { "data-label": "Status" }, h("span", { class: `badge s-${sub.status}` }, label), help ? h("div", { class: "note-text" }, help) : null),
    h("td", { "data-label": "Created" }, timeCell(sub.created_at)),
    h("td", { "data-label": "Actions" }, h("button", { type: "button", class: "btn danger", "aria-describedby": endpointId, onclick: () => onDelete(sub) }, "Delete")),
  );
}

/** Checkboxes for one list of the filter; none ticked means the list is left out. */
function checkGroup(id, legend, values, help) {
  const boxes = values.map((value) => h("input", { type: "checkbox", id: `${id}-${value.replace(/\W/g, "-")}`, name: id, value }));
  const fieldset = h(
    "fieldset",
    { id, class: "checks", "aria-describedby": `${id}-help` },
    h("legend", {}, legend),
    h("small", { id: `${id}-help`, class: "muted" }, help),
    h("div", { class: "check-grid" }, boxes.map((box) => h("label", { for: box.id, class: "check" }, box, ` ${box.value}`))),
  );
  return {
    fieldset,
    chosen: () => boxes.filter((box) => box.checked).map((box) => box.value),
    clear: () => boxes.forEach((box) => (box.checked = false)),
    focus: () => boxes[0].focus(),
  };
}

async function scheduleNames() {
  const names = {};
  let cursor = null;
  try {
    for (let n = 0; n < 10; n++) {
      const page = await api("GET", "/schedules", { query: { limit: 100, cursor } });
      for (const schedule of page.items) names[schedule.id] = schedule.name;
      cursor = page.next_cursor;
      if (!cursor) break;
    }
  } catch {
    // Names are a convenience: without them ids are shown, and the list reports the error.
  }
  return names;
}

export async function subscriptionsPage() {
  const names = await scheduleNames();
  const body = h("tbody");
  const listTitle = h("h2", { id: "subs-title", tabindex: -1 }, "Your subscriptions");
  const table = h(
    "table",
    { class: "list", id: "subscriptions", "aria-labelledby": "subs-title" },
    h("thead", {}, h("tr", {}, ["Endpoint", "Delivers", "Status", "Created", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
    body,
  );
  const more = h("button", { type: "button", class: "btn", id: "subs-more", hidden: true }, "Load more");
  const message = h("div", { id: "subs-message" });
  const rows = new Map();
  let cursor = null;
  let loading = false;

  const showEmpty = () =>
    message.replaceChildren(rows.size ? "" : emptyState("No subscriptions yet: this tenant's events go nowhere.", h("button", { type: "button", class: "btn primary", onclick: () => protocol.focus() }, "Subscribe an endpoint")));

  function add(sub, first = false) {
    if (rows.has(sub.id)) return rows.get(sub.id);
    const tr = row(sub, names, remove);
    rows.set(sub.id, tr);
    if (first) body.prepend(tr);
    else body.append(tr);
    return tr;
  }

  async function load() {
    if (loading) return;
    loading = true;
    more.hidden = true;
    try {
      const page = await api("GET", "/subscriptions", { query: { limit: PAGE, cursor } });
      page.items.forEach((sub) => add(sub));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      showEmpty();
    } catch (err) {
      message.replaceChildren(errorBlock(err, "Could not load the subscriptions"));
    } finally {
      loading = false;
    }
  }

  async function remove(sub) {
    const shown = Array.from(sub.endpoint);
    const ok = await confirmDialog({
      title: "Delete this subscription?",
      text: h("span", {}, visibleText(shown.slice(0, SHORT).join("") + (shown.length > SHORT ? "…" : "")), " will receive no more events. This cannot be undone."),
      confirmLabel: "Delete",
      danger: true,
    });
    if (ok === null) return;
    const tr = rows.get(sub.id);
    try {
      await api("DELETE", `/subscriptions/${encodeURIComponent(sub.id)}`);
    } catch (err) {
      // Already gone (deleted elsewhere): the row goes too. Anything else stays, with why.
      if (err.status !== 404) {
        message.replaceChildren(errorBlock(err, "Delete failed: the subscription is still there"));
        tr.querySelector("button").focus();
        return;
      }
    }
    const next = tr.nextElementSibling ?? tr.previousElementSibling;
    tr.remove();
    rows.delete(sub.id);
    flash("Subscription deleted.");
    showEmpty();
    // Focus where the deleted row was, so a keyboard user keeps their place.
    if (next) next.querySelector("button").focus();
    else listTitle.focus();
  }

  // --- the form ----------------------------------------------------------------------
  const protocol = h("select", { id: "sub-protocol", name: "protocol" }, Object.entries(PROTOCOLS).map(([value, p]) => h("option", { value }, p.label)));
  const endpoint = h("input", { id: "sub-endpoint", name: "endpoint", autocomplete: "off", spellcheck: "false", "aria-describedby": "sub-endpoint-help" });
  const endpointHelp = h("small", { id: "sub-endpoint-help", class: "muted" });
  const showProtocol = () => {
    endpoint.placeholder = PROTOCOLS[protocol.value].example;
    endpointHelp.textContent = `For example ${PROTOCOLS[protocol.value].example}`;
  };
  protocol.addEventListener("change", showProtocol);
  showProtocol();
  const types = checkGroup("sub-types", "Only these events (optional)", EVENT_TYPES, "None ticked: every event type.");
  const statuses = checkGroup("sub-statuses", "Only these statuses (optional)", EVENT_STATUSES, "The schedule's status for schedule events, the run's for execution events. None ticked: any.");
  const scheduleIds = h("textarea", { id: "sub-schedules", name: "schedule_ids", rows: 2, spellcheck: "false", "aria-describedby": "sub-schedules-help" });
  const pick = h(
    "select",
    { id: "sub-pick" },
    h("option", { value: "" }, "Add one of your schedules…"),
    Object.entries(names)
      .sort((a, b) => a[1].localeCompare(b[1]))
      .map(([id, name]) => h("option", { value: id }, name)),
  );
  pick.addEventListener("change", () => {
    if (!pick.value) return;
    const ids = scheduleIds.value.split(/[\s,]+/).filter(Boolean);
    if (!ids.includes(pick.value)) scheduleIds.value = [...ids, pick.value].join("\n");
    pick.value = "";
  });
  const slots = { protocol: h("div"), endpoint: h("div"), filter: h("div"), form: h("div", { id: "sub-form-status" }) };
  const fieldOf = {
    protocol: [protocol, slots.protocol],
    endpoint: [endpoint, slots.endpoint],
    event_types: [types.fieldset, slots.filter, types.focus],
    statuses: [statuses.fieldset, slots.filter, statuses.focus],
    schedule_ids: [scheduleIds, slots.filter],
    filter: [scheduleIds, slots.filter],
  };
  const submit = h("button", { type: "submit", class: "btn primary", id: "subscribe" }, "Subscribe");

  function clearErrors() {
    Object.values(slots).forEach((slot) => slot.replaceChildren());
    for (const [el] of Object.values(fieldOf)) {
      el.removeAttribute("aria-invalid");
      el.setAttribute("aria-describedby", (el.getAttribute("aria-describedby") ?? "").replace(/\s*sub-error/g, "").trim());
    }
  }

  /** The API's error next to the field it names (the endpoint for endpoint codes), with
   * focus there, so the user reads it where the fix is typed. */
  function showError(err) {
    const loc = err.fields?.[0] ?? [];
    const key = loc[0] === "filter" ? loc[1] ?? "filter" : loc[0] ?? (err.code === "subscription_exists" ? "endpoint" : err.code === "filter_too_complex" ? "filter" : null);
    const [el, slot, focus] = fieldOf[key] ?? [null, slots.form];
    const title = err.status === 409 ? "Already subscribed" : err.status >= 500 || err.status === 0 ? "The API could not take the subscription" : "The API refused the subscription";
    const block = errorBlock(err, title);
    block.id = "sub-error";
    slot.replaceChildren(block);
    if (!el) return submit.focus();
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", `${el.getAttribute("aria-describedby") ?? ""} sub-error`.trim());
    (focus ?? (() => el.focus()))();
  }

  const save = async (event) => {
    event.preventDefault();
    clearErrors();
    const filter = {};
    if (types.chosen().length) filter.event_types = types.chosen();
    if (statuses.chosen().length) filter.statuses = statuses.chosen();
    const ids = scheduleIds.value.split(/[\s,]+/).filter(Boolean);
    if (ids.length) filter.schedule_ids = ids;
    const payload = { protocol: protocol.value, endpoint: endpoint.value.trim(), ...(Object.keys(filter).length ? { filter } : {}) };
    submit.disabled = true;
    try {
      const created = await api("POST", "/subscriptions", { body: payload });
      endpoint.value = "";
      scheduleIds.value = "";
      types.clear();
      statuses.clear();
      flash(created.status === "pending_confirmation" ? "Subscribed: waiting for the endpoint to confirm." : "Subscribed.");
      const tr = add(created, true);
      tr.classList.add("fresh");
      showEmpty();
      tr.focus();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
    }
  };

  more.addEventListener("click", () => load());
  render(
    h("div", { class: "title-row" }, h("h1", {}, "Subscriptions"), h("button", { type: "button", class: "btn primary", id: "new-subscription", onclick: () => protocol.focus() }, "New subscription")),
    h("p", { class: "muted" }, "Endpoints that receive this tenant's lifecycle events (never another tenant's), narrowed by their filter."),
    listTitle,
    h("div", { class: "table-wrap" }, table),
    message,
    h("div", { class: "center" }, more),
    h(
      "form",
      { class: "form", id: "subscription-form", onsubmit: save, novalidate: true, "aria-labelledby": "sub-form-title" },
      h("h2", { id: "sub-form-title" }, "New subscription"),
      h("div", { class: "field" }, h("label", { for: "sub-protocol" }, "Protocol"), protocol),
      slots.protocol,
      h("div", { class: "field" }, h("label", { for: "sub-endpoint" }, "Endpoint"), endpoint, endpointHelp),
      slots.endpoint,
      types.fieldset,
      statuses.fieldset,
      h(
        "fieldset",
        { class: "checks" },
        h("legend", {}, "Only these schedules (optional)"),
        h("div", { class: "field" }, h("label", { for: "sub-schedules" }, "Schedule ids"), scheduleIds, h("small", { id: "sub-schedules-help", class: "muted" }, "sch_… ids, one per line or separated by commas. Empty: every schedule.")),
        h("div", { class: "field" }, h("label", { for: "sub-pick" }, "Add a schedule by name"), pick),
      ),
      slots.filter,
      h("div", { class: "actions" }, submit),
      slots.form,
    ),
  );
  // Pages load as "Load more" scrolls into view; the button stays for keyboards.
  const observer = new IntersectionObserver((entries) => {
    if (!document.body.contains(more)) return observer.disconnect();
    if (entries.some((e) => e.isIntersecting) && cursor && !loading) load();
  });
  observer.observe(more);
  await load();
}
