// The dashboard: asks for a token once per tab, lists the state once, then follows it live with
// `subscribe` and `since` (re-listing on revision_expired), and renders the view of the URL hash.
import { Api } from "./api.js";
import { h, replace } from "./dom.js";
import { servicesView } from "./services.js";
import { serviceView } from "./service.js";
import { planView } from "./plan.js";
import { networksView } from "./networks.js";
import { registryView } from "./registry.js";
import { eventsView } from "./events.js";

const TOKEN_KEY = "svcreg.token";
/** How many journal events the page keeps (the events view and the timelines). */
const KEEP_EVENTS = 2000;

/** What the page knows; views read it and call `app.changed()` hooks through `app.on`. */
const state = {
  role: "",
  revision: 0,
  services: new Map(),
  networks: [],
  endpoints: [],
  events: [],
  seq: 0,
};

const url = `wss://${location.host}/v1/ws`;
const api = new Api(url, {
  status: (text) => setStatus(text),
  ready: (role, reconnected) => ready(role, reconnected),
  events: (list, revision) => received(list, revision),
  refused: (message) => askToken(`token refused: ${message}`),
});

/** What views use: the state, the API, the role, and a way to learn about changes. */
const app = {
  state,
  api,
  isAdmin: () => state.role === "admin",
  listeners: new Set(),
  /** Calls fn(kind) after each change (kind: services, networks, endpoints, events). */
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  },
};

function setStatus(text) {
  const el = document.getElementById("conn");
  el.textContent = text;
  el.dataset.state = text.split(" ")[0];
}

async function ready(role, reconnected) {
  state.role = role;
  document.getElementById("role").textContent = `role: ${role}`;
  document.body.dataset.role = role;
  try {
    if (reconnected && state.revision > 0) {
      try {
        await api.request("subscribe", { since: state.revision });
        // what was being fetched when the connection dropped is fetched again
        await Promise.all([refreshServices(), refreshNetworks(), refreshEndpoints()]);
      } catch (e) {
        if (e.code !== "revision_expired") throw e;
        notice(`The events after revision ${state.revision} are no longer kept: listed everything again.`);
        await relist();
      }
    } else {
      await relist();
    }
    setStatus("live");
    notify("services");
    route();
  } catch (e) {
    if (e.code !== "disconnected") setStatus(`error: ${e.message}`);
  }
}

/** Lists everything once, then subscribes after the listed revision (no gap, no duplicate). */
async function relist() {
  const info = await api.request("server_info");
  const services = await api.request("list_services");
  const since = Math.max(info.oldestRevision - 1, services.revision - 500);
  const recent = await api.request("list_events", { since, limit: 1000 });
  state.services = new Map(services.services.map((s) => [s.metadata.name, s]));
  state.networks = (await api.request("list_networks")).networks;
  state.endpoints = (await api.request("list_endpoints")).endpoints;
  state.events = [];
  for (const e of recent.events) if (e.revision <= services.revision) remember(e);
  setRevision(services.revision);
  await api.request("subscribe", { since: services.revision });
}

/** A line above the view that stays until the next one. */
function notice(text) {
  const el = document.getElementById("notice");
  el.textContent = `${new Date().toLocaleTimeString()}: ${text}`;
  el.hidden = false;
}

function setRevision(r) {
  state.revision = r;
  document.getElementById("revision").textContent = `revision ${r}`;
}

/** Keeps an event, with `seq`: the page's own count (what a paused events view holds back). */
function remember(e) {
  e.seq = ++state.seq;
  state.events.push(e);
  if (state.events.length > KEEP_EVENTS) state.events.splice(0, state.events.length - KEEP_EVENTS);
}

/** The events of one revision: applied, then that revision counts as processed. */
function received(list, revision) {
  for (const e of list) {
    remember(e);
    const [kind, name] = splitKey(e.key ?? "");
    if (e.event === "registry_loaded") {
      state.services = new Map((e.data.services ?? []).map((s) => [s.metadata.name, s]));
      state.networks = e.data.networks ?? [];
      later("endpoints", refreshEndpoints);
    } else if (kind === "Service") {
      const s = state.services.get(name);
      if (e.event === "service_state_changed" && s) s.status.phase = e.data.to;
      later(`service:${name}`, () => refreshService(name));
      if (e.event === "endpoint_updated" || e.event === "service_state_changed") {
        later("endpoints", refreshEndpoints);
      }
    } else if (kind === "Network") {
      later("networks", refreshNetworks);
    } else if (kind === "Published") {
      later("endpoints", refreshEndpoints);
    }
  }
  setRevision(revision);
  notify("events");
  notify("services");
}

function splitKey(key) {
  const i = key.indexOf("/");
  return i < 0 ? [key, ""] : [key.slice(0, i), key.slice(i + 1)];
}

/** Runs fn once shortly after the last of several calls with the same key. */
const timers = new Map();
function later(key, fn, ms = 50) {
  clearTimeout(timers.get(key));
  timers.set(
    key,
    setTimeout(() => {
      timers.delete(key);
      fn().catch(() => {}); // a dropped connection resumes and fetches again
    }, ms),
  );
}

async function refreshService(name) {
  try {
    state.services.set(name, await api.request("get_service", { name }));
  } catch (e) {
    if (e.code !== "not_found") throw e;
    state.services.delete(name);
  }
  notify("services");
}

async function refreshServices() {
  const list = (await api.request("list_services")).services;
  state.services = new Map(list.map((s) => [s.metadata.name, s]));
  notify("services");
}

async function refreshNetworks() {
  state.networks = (await api.request("list_networks")).networks;
  notify("networks");
}

async function refreshEndpoints() {
  state.endpoints = (await api.request("list_endpoints")).endpoints;
  notify("endpoints");
}

function notify(kind) {
  for (const fn of app.listeners) fn(kind);
}

// ------------------------------------------------------------------ views

const views = {
  services: servicesView,
  service: serviceView,
  plan: planView,
  networks: networksView,
  registry: registryView,
  events: eventsView,
};
let current = null;

function route() {
  const [, name = "services", ...rest] = (location.hash || "#/services").split("/");
  const make = views[name] ?? servicesView;
  const arg = decodeURIComponent(rest.join("/"));
  if (current?.key === location.hash) return;
  current?.dispose?.();
  const view = make(app, arg);
  current = { key: location.hash, dispose: view.dispose };
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", a.getAttribute("href") === `#/${name}`);
  }
  replace(document.getElementById("view"), view.el);
}

window.addEventListener("hashchange", route);

// ------------------------------------------------------------------ token

function askToken(error) {
  sessionStorage.removeItem(TOKEN_KEY);
  document.getElementById("login").hidden = false;
  document.getElementById("login-error").textContent = error ?? "";
  document.getElementById("token").focus();
}

document.getElementById("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const token = document.getElementById("token").value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  document.getElementById("login").hidden = true;
  document.getElementById("token").value = "";
  api.start(token);
});

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) api.start(saved);
else askToken();
replace(document.getElementById("view"), h("p", { class: "hint" }, "Waiting for a token."));
