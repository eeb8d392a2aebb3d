// The console's entry: a hash router over the pages.

import { completeCognitoSignIn, identityLabel, signInPage } from "./auth.js";
import { h, render } from "./dom.js";
import { executionsPage } from "./executions.js";
import { formPage } from "./form.js";
import { schedulePage } from "./schedule.js";
import { schedulesPage } from "./schedules.js";
import { subscriptionsPage } from "./subscriptions.js";

function refreshHeader() {
  document.getElementById("identity").textContent = identityLabel();
}

function markNav(section) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function route() {
  const [path, search] = (location.hash.slice(1) || "/schedules").split("?");
  const params = new URLSearchParams(search ?? "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const main = document.getElementById("main");
  delete main.dataset.ready;
  let section = parts[0] ?? "schedules";
  if (parts[0] === "schedules" && parts.length === 1) {
    document.title = "Schedules · Job Scheduler";
    await schedulesPage(params);
  } else if (parts[0] === "schedules" && parts.length === 2) {
    document.title = "Schedule · Job Scheduler";
    await schedulePage(parts[1]);
  } else if (parts[0] === "schedules" && parts[2] === "edit") {
    document.title = "Edit schedule · Job Scheduler";
    await formPage(parts[1]);
  } else if (parts[0] === "new") {
    document.title = "New schedule · Job Scheduler";
    await formPage(null);
  } else if (parts[0] === "executions") {
    document.title = "Executions · Job Scheduler";
    await executionsPage(params);
  } else if (parts[0] === "subscriptions" && parts.length === 1) {
    document.title = "Subscriptions · Job Scheduler";
    await subscriptionsPage();
  } else if (parts[0] === "signin") {
    document.title = "Sign in · Job Scheduler";
    await signInPage(refreshHeader);
  } else {
    section = "";
    render(h("h1", {}, "Not found"), h("p", {}, "This page does not exist. "), h("a", { href: "#/schedules" }, "Go to the schedules"));
  }
  markNav(section);
  // For people nothing; for the browser tests the sign that the page has its data.
  main.dataset.ready = "true";
  if (document.activeElement === document.body) main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", () => {
  window.scrollTo(0, 0);
  route();
});

(async () => {
  if (await completeCognitoSignIn()) refreshHeader();
  refreshHeader();
  await route();
})();
