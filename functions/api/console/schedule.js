// One schedule: its definition, next runs, history, a duration chart and its actions.

import { api } from "./api.js";
import {
  confirmDialog,
  emptyState,
  errorBlock,
  flash,
  formatDuration,
  formatTime,
  h,
  render,
  s,
  statusBadge,
  timeCell,
} from "./dom.js";

const FINAL = new Set(["SUCCEEDED", "FAILED", "TIMED_OUT", "SKIPPED"]);
const COLORS = { SUCCEEDED: "#1a7f37", FAILED: "#cf222e", TIMED_OUT: "#bc4c00", SKIPPED: "#8c959f", RUNNING: "#0969da" };

function definition(schedule) {
  const item = (term, ...value) => [h("dt", {}, term), h("dd", {}, ...value)];
  return h(
    "dl",
    { class: "definition" },
    item("Status", statusBadge(schedule.status), schedule.pause_note ? h("span", { class: "note-text" }, ` Note: ${schedule.pause_note}`) : null),
    item("When", schedule.schedule_description || "—"),
    item("Expression", h("code", {}, schedule.schedule), " → ", h("code", {}, (schedule.expressions ?? []).join("  "))),
    item("Time zone", schedule.timezone),
    schedule.description ? item("Description", schedule.description) : null,
    item("Task", h("code", {}, schedule.task.type), " ", taskSummary(schedule.task)),
    item("Retries", `${schedule.retry?.max_attempts ?? 1} attempt(s) per run; overlapping runs: ${schedule.overlap}`),
    schedule.start_at ? item("Starts", timeCell(schedule.start_at, schedule.timezone)) : null,
    schedule.end_at ? item("Ends", timeCell(schedule.end_at, schedule.timezone)) : null,
    schedule.max_runs ? item("Max runs", String(schedule.max_runs)) : null,
    Object.keys(schedule.tags ?? {}).length ? item("Tags", Object.entries(schedule.tags).map(([k, v]) => `${k}=${v}`).join(", ")) : null,
    item("Runs", `${schedule.total_runs} total, ${schedule.failed_runs} failed`),
    item("Version", String(schedule.version), h("span", { class: "muted" }, ` · updated ${formatTime(schedule.updated_at)}`)),
    item("Id", h("code", {}, schedule.id)),
  );
}

function taskSummary(task) {
  switch (task.type) {
    case "http":
      return `${task.method} ${task.url}`;
    case "lambda":
      return task.function;
    case "sqs":
      return task.queue_url;
    case "sns":
      return task.topic_arn;
    case "eventbridge":
      return `${task.event_bus}: ${task.source} / ${task.detail_type}`;
    case "stepfunctions":
      return task.state_machine_arn;
    case "sequence":
      return `${task.steps.length} steps: ${task.steps.map((st) => st.id).join(" → ")}`;
    default:
      return "";
  }
}

/** Bars of the last runs' durations, oldest left, coloured by outcome. */
export function durationChart(executions) {
  const runs = executions.filter((e) => e.duration_ms !== null && e.duration_ms !== undefined).slice(0, 40).reverse();
  if (!runs.length) return emptyState("No finished runs to chart yet.");
  const width = 600;
  const height = 160;
  const pad = { left: 72, bottom: 20, top: 12 };
  const max = Math.max(...runs.map((r) => r.duration_ms), 1);
  const slot = (width - pad.left) / Math.max(runs.length, 10);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "chart-title", class: "chart" });
  svg.append(s("title", { id: "chart-title" }, `Durations of the last ${runs.length} runs; longest ${formatDuration(max)}`));
  const plot = height - pad.bottom - pad.top;
  svg.append(s("line", { x1: pad.left, y1: height - pad.bottom, x2: width, y2: height - pad.bottom, class: "axis" }));
  svg.append(s("text", { x: pad.left - 6, y: pad.top + 8, "text-anchor": "end", class: "tick" }, formatDuration(max)));
  svg.append(s("text", { x: pad.left - 6, y: height - pad.bottom, "text-anchor": "end", class: "tick" }, "0"));
  runs.forEach((run, i) => {
    const barHeight = Math.max(2, (run.duration_ms / max) * plot);
    const rect = s("rect", {
      x: pad.left + i * slot + slot * 0.15,
      y: height - pad.bottom - barHeight,
      width: slot * 0.7,
      height: barHeight,
      fill: COLORS[run.status] ?? "#57606a",
      "data-status": run.status,
    });
    rect.append(s("title", {}, `${formatTime(run.scheduled_time)}: ${run.status}, ${formatDuration(run.duration_ms)}`));
    svg.append(rect);
  });
  const legend = h(
    "p",
    { class: "legend" },
    Object.entries(COLORS).map(([status, color]) => h("span", { class: "legend-item" }, h("span", { class: `swatch sw-${status.toLowerCase()}` }), status.toLowerCase())),
  );
  return h("figure", { class: "chart-box" }, svg, h("figcaption", {}, legend));
}

function jsonText(value) {
  if (value === null || value === undefined) return null;
  return h("details", {}, h("summary", {}, "result"), h("pre", {}, JSON.stringify(value, null, 2)));
}

export function executionRow(execution, { withSchedule = false, names = {}, gone = new Set() } = {}) {
  return h(
    "tr",
    { dataset: { id: execution.id, status: execution.status } },
    withSchedule
      ? h(
          "td",
          { "data-label": "Schedule" },
          gone.has(execution.schedule_id)
            ? h("span", { class: "muted" }, names[execution.schedule_id])
            : h("a", { href: `#/schedules/${encodeURIComponent(execution.schedule_id)}` }, names[execution.schedule_id] ?? execution.schedule_id),
        )
      : null,
    h("td", { "data-label": "Status" }, statusBadge(execution.status), execution.trigger === "manual" ? h("small", { class: "muted" }, " run now") : null),
    h("td", { "data-label": "Scheduled" }, timeCell(execution.scheduled_time)),
    h("td", { "data-label": "Late" }, formatDuration(execution.lateness_ms)),
    h("td", { "data-label": "Duration" }, formatDuration(execution.duration_ms)),
    h("td", { "data-label": "Attempts" }, String(execution.attempts ?? 0)),
    h(
      "td",
      { "data-label": "Error / result", class: "wrap" },
      execution.error ? h("div", { class: "bad error-text" }, execution.error) : null,
      execution.skip_reason ? h("div", { class: "muted" }, `skipped: ${execution.skip_reason}`) : null,
      jsonText(execution.result),
    ),
  );
}

export function executionTable(id, withSchedule) {
  const headers = [...(withSchedule ? ["Schedule"] : []), "Status", "Scheduled", "Late", "Duration", "Attempts", "Error / result"];
  const body = h("tbody");
  const table = h(
    "table",
    { class: "list", id },
    h("caption", { class: "sr-only" }, "Executions"),
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
    body,
  );
  return { table, body };
}

export async function schedulePage(id) {
  let schedule;
  try {
    schedule = await api("GET", `/schedules/${encodeURIComponent(id)}`);
  } catch (err) {
    render(h("h1", {}, "Schedule"), errorBlock(err, err.status === 404 ? "No such schedule" : "Could not load the schedule"), h("p", {}, h("a", { href: "#/schedules" }, "Back to the schedules")));
    return;
  }
  const actionStatus = h("div", { id: "action-status", "aria-live": "polite" });
  const nextRuns = h("div", { id: "next-runs" }, h("p", { class: "muted" }, "Loading…"));
  const history = executionTable("history", false);
  const historyMessage = h("div");
  const chart = h("div", { id: "chart" });
  const runStatus = h("div", { id: "run-status", "aria-live": "polite" });

  function actionError(err, label) {
    if (err.status !== 409) return errorBlock(err, `${label} failed`);
    return h(
      "div",
      {},
      errorBlock(err, "Someone changed this schedule meanwhile: nothing was done"),
      h("button", { type: "button", class: "btn", id: "reload", onclick: () => schedulePage(id) }, "Reload the schedule"),
    );
  }

  async function act(label, call) {
    actionStatus.replaceChildren();
    try {
      await call();
      flash(label);
      await schedulePage(id);
    } catch (err) {
      actionStatus.replaceChildren(actionError(err, label));
    }
  }

  const buttons = [];
  if (schedule.status === "ACTIVE" || schedule.status === "PENDING") {
    buttons.push(
      h("button", {
        type: "button",
        class: "btn",
        id: "pause",
        onclick: async () => {
          const note = await confirmDialog({ title: "Pause this schedule?", text: `"${schedule.name}" will not run until it is resumed.`, confirmLabel: "Pause", noteLabel: "Note (optional, shown in the list)" });
          if (note === null) return;
          act("Paused", () => api("POST", `/schedules/${encodeURIComponent(id)}/pause`, { body: note ? { note } : {}, version: schedule.version }));
        },
      }, "Pause"),
    );
  }
  if (schedule.status === "PAUSED") {
    buttons.push(h("button", { type: "button", class: "btn", id: "resume", onclick: () => act("Resumed", () => api("POST", `/schedules/${encodeURIComponent(id)}/resume`, { version: schedule.version })) }, "Resume"));
  }
  buttons.push(
    h("button", { type: "button", class: "btn primary", id: "run-now", onclick: () => runNow() }, "Run now"),
    h("a", { href: `#/schedules/${encodeURIComponent(id)}/edit`, class: "btn", id: "edit" }, "Edit"),
    h("button", {
      type: "button",
      class: "btn danger",
      id: "delete",
      onclick: async () => {
        const ok = await confirmDialog({ title: "Delete this schedule?", text: `"${schedule.name}" will never run again. Its history stays readable through the API.`, confirmLabel: "Delete", danger: true });
        if (ok === null) return;
        try {
          await api("DELETE", `/schedules/${encodeURIComponent(id)}`, { version: schedule.version });
          flash(`Deleted "${schedule.name}".`);
          location.hash = "#/schedules";
        } catch (err) {
          actionStatus.replaceChildren(actionError(err, "Delete"));
        }
      },
    }, "Delete"),
  );

  async function loadHistory() {
    try {
      const page = await api("GET", `/schedules/${encodeURIComponent(id)}/executions`, { query: { limit: 50 } });
      history.body.replaceChildren(...page.items.map((e) => executionRow(e)));
      historyMessage.replaceChildren(page.items.length ? "" : emptyState("No runs yet. Use Run now to try it."));
      chart.replaceChildren(durationChart(page.items));
      return page.items;
    } catch (err) {
      historyMessage.replaceChildren(errorBlock(err, "Could not load the history"));
      return [];
    }
  }

  async function runNow() {
    runStatus.replaceChildren(h("p", {}, "Starting a run…"));
    let accepted;
    try {
      accepted = await api("POST", `/schedules/${encodeURIComponent(id)}/run`);
    } catch (err) {
      runStatus.replaceChildren(errorBlock(err, "Run now failed"));
      return;
    }
    const started = Date.now();
    // The run is asynchronous: follow it in the history (its record appears when the
    // executor starts) until it ends, or give up after two minutes.
    while (Date.now() - started < 120000 && document.body.contains(runStatus)) {
      let execution = null;
      try {
        const page = await api("GET", `/schedules/${encodeURIComponent(id)}/executions`, { query: { limit: 10 } });
        execution = page.items.find((e) => e.id === accepted.execution_id) ?? null;
      } catch (err) {
        runStatus.replaceChildren(errorBlock(err, "Could not follow the run"));
        return;
      }
      runStatus.replaceChildren(
        h("p", { class: "run-line", dataset: { status: execution?.status ?? "QUEUED" } }, "Run now: ", statusBadge(execution?.status ?? "QUEUED"), execution?.error ? h("span", { class: "bad" }, ` ${execution.error}`) : null),
      );
      if (execution && FINAL.has(execution.status)) {
        await loadHistory();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
  }

  render(
    h("p", {}, h("a", { href: "#/schedules" }, "← Schedules")),
    h("h1", { id: "schedule-name" }, schedule.name),
    h("div", { class: "actions", role: "group", "aria-label": "Actions" }, buttons),
    actionStatus,
    runStatus,
    h("div", { class: "columns" }, h("section", {}, h("h2", {}, "Definition"), definition(schedule)), h("section", {}, h("h2", {}, "Next 10 runs"), nextRuns)),
    h("section", {}, h("h2", {}, "Durations"), chart),
    h("section", {}, h("h2", {}, "History"), h("div", { class: "table-wrap" }, history.table), historyMessage),
  );
  loadHistory();
  if (schedule.status !== "ACTIVE" && schedule.status !== "PENDING") {
    nextRuns.replaceChildren(h("p", { class: "muted" }, `None while ${schedule.status.toLowerCase()}.`));
    return;
  }
  try {
    const preview = await api("POST", "/schedules/preview", {
      body: { schedule: schedule.schedule, timezone: schedule.timezone, start_at: schedule.start_at ?? undefined, end_at: schedule.end_at ?? undefined, count: 10 },
    });
    nextRuns.replaceChildren(runList(preview.next_runs, schedule.timezone));
  } catch (err) {
    nextRuns.replaceChildren(errorBlock(err, "Could not compute the next runs"));
  }
}

export function runList(runs, zone) {
  if (!runs.length) return emptyState("It will not run again.");
  return h("ol", { class: "runs" }, runs.map((run) => h("li", {}, timeCell(run, zone))));
}
