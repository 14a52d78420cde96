// The live event stream, newest first, with filters; paused, it keeps counting what arrives.
import { h, replace, time } from "./dom.js";

const NAMES = ["registry_loaded", "service_registered", "service_updated", "service_removed",
  "service_state_changed", "endpoint_updated", "deployment_progress", "health_check_result",
  "network_topology_changed", "reconcile_diff", "spec_error"];
const SHOWN = 500;

/** One line for an event, like `svcreg watch` prints it. */
export function eventLine(e) {
  const d = e.data ?? {};
  const what = (() => {
    switch (e.event) {
      case "service_state_changed": return `${d.from} → ${d.to}${d.message ? ` (${d.message})` : ""}`;
      case "deployment_progress": return `${d.phase}${d.version ? ` ${d.version}` : ""}${d.message ? `: ${d.message}` : ""}`;
      case "health_check_result": return `${d.state}${d.output ? `: ${d.output}` : ""}`;
      case "endpoint_updated": return `${d.network ?? ""} ${d.address ?? ""}`.trim();
      case "reconcile_diff": return `${d.change} generation ${d.generation}` +
        (d.fields ?? []).map((f) => `; ${f.field ?? f.path}: ${f.old ?? "(none)"} → ${f.new ?? "(none)"}`).join("");
      case "spec_error": return `${d.file}:${d.line}:${d.column}: ${d.path}: ${d.message}`;
      case "network_topology_changed": return d.change ?? "";
      case "registry_loaded": return `${(d.services ?? []).length} services, ${(d.networks ?? []).length} networks`;
      case "service_registered":
      case "service_updated":
      case "service_removed": return serviceChange(e.event, d);
      default: return JSON.stringify(d);
    }
  })();
  return `${e.event} ${e.key || "-"} ${what}`;
}

/** A service's or a published module's registration, change or removal. */
function serviceChange(event, d) {
  if (d.source === "published") {
    const apis = (d.apis ?? []).map((a) => `${a.name} ${a.address}:${a.port}`).join(", ");
    const who = d.process === undefined ? "" : ` process ${d.process}`;
    return event === "service_removed" ? `${d.reason ?? "removed"}${who}` : `${apis}${who}, lease ${d.ttl}`;
  }
  if (d.action) return `${d.action} (operator)`;
  const rest = Object.entries(d).filter(([k]) => k !== "service" && k !== "sourceRevision");
  return rest.map(([k, v]) => `${k} ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
}

export function eventsView(app) {
  const type = h("select", { id: "events-type" }, h("option", { value: "" }, "all events"),
    NAMES.map((n) => h("option", { value: n }, n)));
  const text = h("input", { id: "events-text", type: "search", placeholder: "key or text contains" });
  const pause = h("button", { id: "events-pause", type: "button" }, "Pause");
  const status = h("span", { id: "events-status", class: "hint" });
  const list = h("ol", { id: "events", class: "timeline" });
  let pausedAt = -1; // the seq of the last event shown when paused (-1: live)

  pause.addEventListener("click", () => {
    const all = app.state.events;
    pausedAt = pausedAt < 0 ? (all.length ? all[all.length - 1].seq : 0) : -1;
    pause.textContent = pausedAt < 0 ? "Pause" : "Resume";
    render();
  });
  for (const input of [type, text]) {
    input.addEventListener("input", render);
    input.addEventListener("change", render);
  }

  function render() {
    const all = app.state.events;
    let upTo = all.length;
    while (pausedAt >= 0 && upTo > 0 && all[upTo - 1].seq > pausedAt) upTo--;
    const held = all.length - upTo;
    status.textContent = pausedAt < 0 ? "live" : `paused: ${held} new event${held === 1 ? "" : "s"} held`;
    const t = text.value.trim().toLowerCase();
    const shown = [];
    for (let i = upTo - 1; i >= 0 && shown.length < SHOWN; i--) {
      const e = all[i];
      if (type.value && e.event !== type.value) continue;
      const line = eventLine(e);
      if (t && !line.toLowerCase().includes(t)) continue;
      shown.push(h("li", { data: { revision: e.revision, event: e.event } },
        h("span", { class: "rev" }, `#${e.revision}`), " ", h("time", null, time(e.time)), " ", line));
    }
    replace(list, shown);
  }
  render();
  const off = app.on((kind) => kind === "events" && render());
  const el = h("section", { class: "events" }, h("h2", null, "Events"),
    h("div", { class: "filters" }, type, text, pause, status), list);
  return { el, dispose: off };
}
