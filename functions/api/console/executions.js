// The tenant's executions across schedules, newest first, refreshed every few seconds.

import { api } from "./api.js";
import { emptyState, errorBlock, formatTime, h, render } from "./dom.js";
import { executionRow, executionTable } from "./schedule.js";

const STATUSES = ["SUCCEEDED", "FAILED", "TIMED_OUT", "SKIPPED", "RUNNING"];
const REFRESH_MS = 5000;
const PAGE = 50;

export async function executionsPage(params) {
  const status = h(
    "select",
    { id: "exec-status" },
    h("option", { value: "" }, "Any status"),
    STATUSES.map((st) => h("option", { value: st, selected: params.get("status") === st }, st.toLowerCase())),
  );
  const since = h("select", { id: "exec-since" }, [
    ["", "Any time"],
    ["1", "Last hour"],
    ["24", "Last 24 hours"],
    ["168", "Last 7 days"],
  ].map(([value, label]) => h("option", { value, selected: params.get("since") === value }, label)));
  const scheduleFilter = h("select", { id: "exec-schedule" }, h("option", { value: params.get("schedule") ?? "" }, params.get("schedule") ?? "Any schedule"));
  const { table, body } = executionTable("executions", true);
  const message = h("div", { id: "exec-message" });
  const updated = h("p", { class: "muted", "aria-live": "off", id: "exec-updated" });
  const more = h("button", { type: "button", class: "btn", id: "exec-more", hidden: true }, "Load more");
  const names = {};
  const gone = new Set();
  let cursor = null;
  let pages = 1;

  // Rows name their schedule: the names come from the schedule list (a few pages at
  // most), read again only when an unknown id shows up. An id still unknown then belongs
  // to a deleted schedule, whose history outlives it.
  let listed = false;
  async function nameSchedules(items) {
    if (listed && items.every((e) => e.schedule_id in names)) return;
    let next = null;
    for (let n = 0; n < 10; n++) {
      const page = await api("GET", "/schedules", { query: { limit: 100, cursor: next } });
      for (const sch of page.items) names[sch.id] = sch.name;
      next = page.next_cursor;
      if (!next) break;
    }
    listed = true;
    for (const e of items) {
      if (!(e.schedule_id in names)) {
        names[e.schedule_id] = `${e.schedule_id} (deleted)`;
        gone.add(e.schedule_id);
      }
    }
    const chosen = scheduleFilter.value;
    scheduleFilter.replaceChildren(
      h("option", { value: "" }, "Any schedule"),
      ...Object.entries(names)
        .sort((a, b) => a[1].localeCompare(b[1]))
        .map(([sid, name]) => h("option", { value: sid, selected: sid === chosen }, name)),
    );
  }

  function query(nextCursor) {
    const hours = Number(since.value);
    return {
      limit: PAGE,
      cursor: nextCursor,
      status: status.value,
      schedule_id: scheduleFilter.value,
      since: hours ? new Date(Date.now() - hours * 3600e3).toISOString() : undefined,
    };
  }

  async function load(reset) {
    try {
      const page = await api("GET", "/executions", { query: query(reset ? null : cursor) });
      await nameSchedules(page.items);
      const rows = page.items.map((e) => executionRow(e, { withSchedule: true, names, gone }));
      if (reset) body.replaceChildren(...rows);
      else body.append(...rows);
      cursor = page.next_cursor;
      more.hidden = !cursor;
      message.replaceChildren(body.children.length ? "" : emptyState(status.value || since.value || scheduleFilter.value ? "No execution matches these filters." : "No executions yet."));
      updated.textContent = `Updated ${formatTime(new Date())}; refreshes every ${REFRESH_MS / 1000} s.`;
    } catch (err) {
      message.replaceChildren(errorBlock(err, err.status === 404 || err.status === 405 ? "This API has no tenant-wide history (GET /executions)" : "Could not load the executions"));
    }
  }

  const refilter = () => {
    const q = new URLSearchParams();
    if (status.value) q.set("status", status.value);
    if (since.value) q.set("since", since.value);
    if (scheduleFilter.value) q.set("schedule", scheduleFilter.value);
    history.replaceState(null, "", `#/executions${q.size ? `?${q}` : ""}`);
    pages = 1;
    load(true);
  };
  status.addEventListener("change", refilter);
  since.addEventListener("change", refilter);
  scheduleFilter.addEventListener("change", refilter);
  more.addEventListener("click", () => {
    pages += 1;
    load(false);
  });

  render(
    h("h1", {}, "Executions"),
    h("div", { class: "filters", role: "search" }, h("label", { for: "exec-status" }, "Status"), status, h("label", { for: "exec-since" }, "Since"), since, h("label", { for: "exec-schedule" }, "Schedule"), scheduleFilter),
    updated,
    h("div", { class: "table-wrap" }, table),
    message,
    h("div", { class: "center" }, more),
  );
  await load(true);
  const timer = setInterval(() => {
    // Stop when the page is left; keep what was paged in by not refreshing past page one.
    if (!document.body.contains(table)) return clearInterval(timer);
    if (pages === 1 && !document.hidden) load(true);
  }, REFRESH_MS);
}
