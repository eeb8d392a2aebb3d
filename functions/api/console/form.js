// Create and edit: the form, with a live preview of the schedule as it is typed.

import { api } from "./api.js";
import { browserZone, errorBlock, flash, h, render } from "./dom.js";
import { runList } from "./schedule.js";

const PREVIEW_DELAY_MS = 400;
const METHODS = ["POST", "GET", "PUT", "PATCH", "DELETE"];

function zoneList() {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return h("datalist", { id: "zones" }, ["UTC", ...zones.filter((z) => z !== "UTC")].map((z) => h("option", { value: z })));
}

function field(id, label, input, help) {
  if (help) input.setAttribute("aria-describedby", `${id}-help`);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, help ? h("small", { id: `${id}-help`, class: "muted" }, help) : null);
}

function parseJson(text, what) {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${err.message}`);
  }
}

async function compiles(expression, timezone) {
  try {
    await api("POST", "/schedules/preview", { body: { schedule: expression, timezone, count: 1 } });
    return true;
  } catch {
    return false;
  }
}

export async function formPage(id) {
  let existing = null;
  if (id) {
    try {
      existing = await api("GET", `/schedules/${encodeURIComponent(id)}`);
    } catch (err) {
      render(h("h1", {}, "Edit schedule"), errorBlock(err, "Could not load the schedule"));
      return;
    }
  }
  const task = existing?.task ?? { type: "http", method: "POST", url: "" };
  const simpleHttp = task.type === "http";
  const name = h("input", { id: "name", name: "name", required: true, maxlength: 128, value: existing?.name ?? "", autocomplete: "off" });
  const description = h("textarea", { id: "description", name: "description", maxlength: 1024, rows: 2 });
  description.value = existing?.description ?? "";
  const expr = h("input", { id: "schedule", name: "schedule", required: true, maxlength: 256, value: existing?.schedule ?? "", autocomplete: "off", spellcheck: "false" });
  const zone = h("input", { id: "timezone", name: "timezone", list: "zones", required: true, maxlength: 64, value: existing?.timezone ?? browserZone(), autocomplete: "off" });
  const taskType = h(
    "select",
    { id: "task-type", name: "task-type" },
    h("option", { value: "http", selected: simpleHttp }, "HTTP request"),
    h("option", { value: "json", selected: !simpleHttp }, "Any task, as JSON"),
  );
  const url = h("input", { id: "url", name: "url", type: "url", value: simpleHttp ? task.url : "", placeholder: "https://example.com/hook" });
  const method = h("select", { id: "method", name: "method" }, METHODS.map((m) => h("option", { value: m, selected: simpleHttp && task.method === m }, m)));
  const body = h("textarea", { id: "body", name: "body", rows: 3, spellcheck: "false" });
  body.value = simpleHttp && task.body !== null && task.body !== undefined ? JSON.stringify(task.body, null, 2) : "";
  const taskJson = h("textarea", { id: "task-json", name: "task-json", rows: 8, spellcheck: "false" });
  taskJson.value = JSON.stringify(simpleHttp ? { type: "lambda", function: "my-function", payload: {} } : task, null, 2);
  const attempts = h("input", { id: "attempts", name: "attempts", type: "number", min: 1, max: 10, value: existing?.retry?.max_attempts ?? 3 });
  const httpFields = h("div", { class: "group" }, field("url", "URL", url), field("method", "Method", method), field("body", "Body (JSON, optional)", body));
  const jsonFields = h("div", { class: "group" }, field("task-json", "Task (JSON)", taskJson, "One of http, lambda, sqs, sns, eventbridge, stepfunctions, sequence; see the API docs."));
  const showTask = () => {
    httpFields.hidden = taskType.value !== "http";
    jsonFields.hidden = taskType.value === "http";
    url.required = taskType.value === "http";
  };
  taskType.addEventListener("change", showTask);
  showTask();

  // --- live preview --------------------------------------------------------------
  const preview = h("div", { id: "preview", class: "preview", "aria-live": "polite" }, h("p", { class: "muted" }, "Type a schedule to see when it runs."));
  let sequence = 0;
  let timer;
  async function refreshPreview() {
    const mine = ++sequence;
    const text = expr.value.trim();
    if (!text) {
      preview.replaceChildren(h("p", { class: "muted" }, "Type a schedule to see when it runs."));
      return;
    }
    preview.setAttribute("aria-busy", "true");
    try {
      const result = await api("POST", "/schedules/preview", { body: { schedule: text, timezone: zone.value.trim() || "UTC", count: 5 } });
      if (mine !== sequence) return;
      preview.replaceChildren(
        h("p", { class: "preview-description" }, h("strong", {}, result.description)),
        h("p", { class: "muted" }, `Runs as ${result.expressions.join("  ")} in ${result.timezone}. Next runs:`),
        runList(result.next_runs, result.timezone),
      );
      preview.dataset.state = "ok";
    } catch (err) {
      if (mine !== sequence) return;
      // Offer the suggestion as a one-click fix only when it compiles itself; some
      // suggestions are advice in words, shown as such.
      const fixes = err.suggestion && (await compiles(err.suggestion, zone.value.trim() || "UTC"));
      if (mine !== sequence) return;
      const fix = fixes
        ? h("button", {
            type: "button",
            class: "btn",
            id: "apply-suggestion",
            onclick: () => {
              expr.value = err.suggestion;
              expr.focus();
              refreshPreview();
            },
          }, `Use “${err.suggestion}”`)
        : null;
      const block = errorBlock({ code: err.code, status: err.status, message: err.message, suggestion: fixes ? null : err.suggestion }, "This schedule does not work");
      preview.replaceChildren(...(fix ? [block, fix] : [block]));
      preview.dataset.state = "error";
    } finally {
      if (mine === sequence) preview.removeAttribute("aria-busy");
    }
  }
  const debounced = () => {
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, PREVIEW_DELAY_MS);
  };
  expr.addEventListener("input", debounced);
  zone.addEventListener("input", debounced);

  // --- save --------------------------------------------------------------------------
  const status = h("div", { id: "form-status", "aria-live": "polite" });
  // One key per form: a double click or a retried request creates one schedule.
  const idempotencyKey = crypto.randomUUID();
  const save = async (event) => {
    event.preventDefault();
    status.replaceChildren();
    let payload;
    try {
      const chosenTask =
        taskType.value === "http"
          ? { type: "http", url: url.value.trim(), method: method.value, ...(body.value.trim() ? { body: parseJson(body.value, "The body") } : {}) }
          : parseJson(taskJson.value, "The task");
      payload = {
        name: name.value.trim(),
        description: description.value.trim() || null,
        schedule: expr.value.trim(),
        timezone: zone.value.trim() || "UTC",
        task: chosenTask,
        retry: { ...(existing?.retry ?? {}), max_attempts: Number(attempts.value) || 1 },
      };
    } catch (err) {
      status.replaceChildren(errorBlock(err, "Check the form"));
      return;
    }
    submit.disabled = true;
    try {
      const saved = existing
        ? await api("PATCH", `/schedules/${encodeURIComponent(existing.id)}`, { body: payload, version: existing.version })
        : await api("POST", "/schedules", { body: payload, headers: { "Idempotency-Key": idempotencyKey } });
      flash(existing ? `Saved "${saved.name}".` : `Created "${saved.name}".`);
      location.hash = `#/schedules/${encodeURIComponent(saved.id)}`;
    } catch (err) {
      status.replaceChildren(errorBlock(err, err.status === 409 ? "Someone changed this schedule meanwhile: reload the page" : "The API refused the schedule"));
      submit.disabled = false;
    }
  };
  const submit = h("button", { type: "submit", class: "btn primary", id: "save" }, existing ? "Save changes" : "Create schedule");

  render(
    h("p", {}, h("a", { href: existing ? `#/schedules/${encodeURIComponent(existing.id)}` : "#/schedules" }, "← Back")),
    h("h1", {}, existing ? `Edit “${existing.name}”` : "New schedule"),
    h(
      "form",
      { class: "form", id: "schedule-form", onsubmit: save, novalidate: false },
      h(
        "div",
        { class: "columns" },
        h(
          "div",
          {},
          field("name", "Name", name),
          field("description", "Description (optional)", description),
          field("schedule", "Schedule", expr, "cron (0 9 * * 1-5), rate(5 minutes), at(...), ISO 8601 or plain English (every monday at 8am)."),
          field("timezone", "Time zone (IANA)", zone, "Start typing to search, e.g. Europe/Paris."),
          zoneList(),
        ),
        h("section", { "aria-labelledby": "preview-title" }, h("h2", { id: "preview-title" }, "Preview"), preview),
      ),
      h("fieldset", {}, h("legend", {}, "Task"), field("task-type", "Kind", taskType), httpFields, jsonFields, field("attempts", "Attempts per run", attempts)),
      h("div", { class: "actions" }, submit),
      status,
    ),
  );
  name.focus();
  if (expr.value) refreshPreview();
}
