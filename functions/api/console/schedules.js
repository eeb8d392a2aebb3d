// The schedules page: every schedule of the tenant, a page at a time as you scroll.

import { api } from "./api.js";
import { emptyState, errorBlock, h, render, statusBadge, timeCell } from "./dom.js";

const STATUSES = ["ACTIVE", "PAUSED", "PENDING", "COMPLETED"];
const PAGE = 25;

function row(schedule) {
  const ok = Math.max(0, (schedule.total_runs ?? 0) - (schedule.failed_runs ?? 0));
  return h(
    "tr",
    { dataset: { id: schedule.id } },
    h("td", { "data-label": "Name" }, h("a", { href: `#/schedules/${encodeURIComponent(schedule.id)}`, class: "name" }, schedule.name)),
    h(
      "td",
      { "data-label": "When" },
      schedule.schedule_description || schedule.schedule,
      h("br"),
      h("code", { class: "muted" }, schedule.schedule),
    ),
    h("td", { "data-label": "Next run" }, timeCell(schedule.next_run_at, schedule.timezone)),
    h("td", { "data-label": "Last run" }, statusBadge(schedule.last_status), " ", schedule.last_run_at ? timeCell(schedule.last_run_at) : null),
    h(
      "td",
      { "data-label": "Runs" },
      h("span", { class: "ok", title: "succeeded" }, `✓ ${ok}`),
      " ",
      h("span", { class: schedule.failed_runs ? "bad" : "muted", title: "failed" }, `✗ ${schedule.failed_runs ?? 0}`),
    ),
    h(
      "td",
      { "data-label": "Status" },
      statusBadge(schedule.status),
      schedule.pause_note ? h("div", { class: "note-text" }, `Note: ${schedule.pause_note}`) : null,
    ),
  );
}

export async function schedulesPage(params) {
  const search = h("input", { id: "search", type: "search", value: params.get("q") ?? "", placeholder: "Name starts with…", maxlength: 128 });
  const status = h(
    "select",
    { id: "status-filter" },
    h("option", { value: "" }, "Any status"),
    STATUSES.map((s) => h("option", { value: s, selected: params.get("status") === s }, s.toLowerCase())),
  );
  const body = h("tbody");
  const table = h(
    "table",
    { class: "list", id: "schedules" },
    h("caption", { class: "sr-only" }, "Schedules"),
    h("thead", {}, h("tr", {}, ["Name", "When", "Next run", "Last run", "Runs", "Status"].map((t) => h("th", { scope: "col" }, t)))),
    body,
  );
  const more = h("button", { type: "button", class: "btn", id: "load-more", hidden: true }, "Load more");
  const message = h("div", { id: "list-message" });
  let cursor = null;
  let loading = false;
  let generation = 0;

  async function load(reset) {
    if (loading && !reset) return;
    const mine = reset ? ++generation : generation;
    if (reset) {
      cursor = null;
      body.replaceChildren();
      message.replaceChildren();
    }
    loading = true;
    more.hidden = true;
    try {
      const page = await api("GET", "/schedules", {
        query: { limit: PAGE, cursor, name_prefix: search.value.trim(), status: status.value },
      });
      if (mine !== generation) return;
      body.append(...page.items.map(row));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!body.children.length) {
        message.replaceChildren(
          search.value || status.value
            ? emptyState("No schedule matches these filters.")
            : emptyState("No schedules yet.", h("a", { href: "#/new", class: "btn primary" }, "Create the first one")),
        );
      }
    } catch (err) {
      if (mine === generation) message.replaceChildren(errorBlock(err, "Could not load the schedules"));
    } finally {
      if (mine === generation) loading = false;
    }
  }

  let timer;
  const refilter = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const q = new URLSearchParams();
      if (search.value.trim()) q.set("q", search.value.trim());
      if (status.value) q.set("status", status.value);
      history.replaceState(null, "", `#/schedules${q.size ? `?${q}` : ""}`);
      load(true);
    }, 250);
  };
  search.addEventListener("input", refilter);
  status.addEventListener("change", refilter);
  more.addEventListener("click", () => load(false));

  render(
    h("div", { class: "title-row" }, h("h1", {}, "Schedules"), h("a", { href: "#/new", class: "btn primary" }, "New schedule")),
    h(
      "div",
      { class: "filters", role: "search" },
      h("label", { for: "search" }, "Search by name"),
      search,
      h("label", { for: "status-filter" }, "Status"),
      status,
    ),
    h("div", { class: "table-wrap" }, table),
    message,
    h("div", { class: "center" }, more),
  );
  // Pages load as the "Load more" button scrolls into view; the button stays for keyboards.
  const observer = new IntersectionObserver((entries) => {
    if (!document.body.contains(more)) return observer.disconnect();
    if (entries.some((e) => e.isIntersecting) && cursor && !loading) load(false);
  });
  observer.observe(more);
  await load(true);
}
