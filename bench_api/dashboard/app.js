// The router and the sign-in: hash routes (#/runs, #/run/<id>, #/compare, #/history,
// #/campaigns, #/campaign/<id>, #/alerts) rendered by views.js with the key from session storage.
import { API, get, key, KeyRefused } from "./api.js";
import { destroyCharts } from "./charts.js";
import { h, revokeBlobs } from "./ui.js";
import * as views from "./views.js";

const ROUTES = { runs: views.runs, run: views.run, compare: views.compare, history: views.history, campaigns: views.campaigns, campaign: views.campaign, alerts: views.alerts };
const REFUSED = "The API key was refused. Check the key and enter it again.";
const byId = (id) => document.getElementById(id);
let generation = 0;

function parseHash() {
  const [path, search = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/");
  return { name: ROUTES[name] ? name : "runs", arg: rest.length ? decodeURIComponent(rest.join("/")) : null, params: new URLSearchParams(search) };
}

function signedIn(yes) {
  byId("login").hidden = yes;
  byId("nav").hidden = !yes;
  byId("logout").hidden = !yes;
  byId("view").hidden = !yes;
}

function showLogin(message = "") {
  generation++;
  destroyCharts();
  revokeBlobs();
  signedIn(false);
  byId("view").replaceChildren();
  byId("login-error").textContent = message;
  byId("api-key").focus();
}

async function render() {
  const token = ++generation;
  destroyCharts();
  revokeBlobs();
  if (!key.get()) return showLogin();
  signedIn(true);
  const route = parseHash();
  const section = { run: "runs", campaign: "campaigns" }[route.name] ?? route.name;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === `#/${section}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  // Each render draws into its own page element: a view still awaiting an answer after the
  // user has moved on writes into a detached element, never over the page that replaced it.
  const view = h("div", { class: "page" }, h("p", { class: "muted" }, "Loading…"));
  byId("view").replaceChildren(view);
  const context = {
    ...route,
    view,
    alive: () => token === generation,
    navigate: (hash) => (location.hash === hash ? render() : (location.hash = hash)),
  };
  try {
    await ROUTES[route.name](context);
  } catch (error) {
    if (!context.alive()) return;
    if (error instanceof KeyRefused) {
      key.clear();
      showLogin(REFUSED);
      return;
    }
    view.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, error.message));
  }
}

byId("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = byId("api-key");
  key.set(input.value.trim());
  byId("login-error").textContent = "Checking the key…";
  try {
    await get(`${API}/backends`);
  } catch (error) {
    key.clear();
    byId("login-error").textContent = error instanceof KeyRefused ? REFUSED : error.message;
    return;
  }
  input.value = "";
  byId("login-error").textContent = "";
  render();
  byId("main").focus();
});

byId("logout").addEventListener("click", () => {
  key.clear();
  showLogin();
});

window.addEventListener("hashchange", () => {
  render();
  byId("main").focus(); // keyboard and screen-reader users start at the new page's top
});
render();
