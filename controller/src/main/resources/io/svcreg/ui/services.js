// The services: one row each, degraded and out-of-sync ones first, with filters.
import { h, replace, table, time, opt } from "./dom.js";
import { outOfSync, degraded, lastTransition, byAttention, labelTexts } from "./model.js";

const PHASES = ["registered", "deploying", "starting", "running", "stopping", "stopped", "failed", "removing"];
const HEALTH = ["passing", "failing", "unknown"];

export function servicesView(app) {
  const f = {
    phase: select("filter-phase", "any phase", PHASES),
    health: select("filter-health", "any health", HEALTH),
    network: select("filter-network", "any network", []),
    label: h("input", { id: "filter-label", type: "search", placeholder: "label (key or key=value)" }),
    text: h("input", { id: "filter-text", type: "search", placeholder: "name contains" }),
  };
  const count = h("span", { class: "count" });
  const body = h("div");
  const el = h("section", { class: "services" }, h("h2", null, "Services ", count),
    h("div", { class: "filters" }, Object.values(f)), body);
  for (const input of Object.values(f)) {
    input.addEventListener("input", render);
    input.addEventListener("change", render);
  }

  function render() {
    const all = [...app.state.services.values()];
    const networks = [...new Set(all.map((s) => s.spec?.network).filter(Boolean))].sort();
    fill(f.network, "any network", networks);
    const shown = all.filter((s) => matches(s, f)).sort(byAttention);
    count.textContent = `(${shown.length} of ${all.length})`;
    replace(body, table("list", ["Name", "Phase", "Health", "Version (deployed / desired)", "Node",
      "Address", "Endpoints", "Last transition"], shown.map(row)));
  }
  render();
  return { el, dispose: app.on(render) };
}

function row(s) {
  const st = s.status ?? {};
  const name = s.metadata.name;
  const marks = [];
  if (degraded(s)) marks.push(h("span", { class: "badge bad" }, "degraded"));
  if (outOfSync(s)) marks.push(h("span", { class: "badge warn" }, "out of sync"));
  return h("tr", { data: { service: name }, class: degraded(s) ? "degraded" : outOfSync(s) ? "out-of-sync" : "" },
    h("td", { class: "name" }, h("a", { href: `#/service/${encodeURIComponent(name)}` }, name), " ", marks,
      h("div", { class: "labels" }, labelTexts(s).map((l) => h("span", { class: "label" }, l)))),
    h("td", { class: `phase phase-${st.phase}` }, opt(st.phase)),
    h("td", { class: `health health-${st.health?.state}` }, opt(st.health?.state)),
    h("td", { class: "version" }, `${opt(st.deployedVersion)} / ${opt(s.spec?.version)}`),
    h("td", { class: "node" }, opt(st.node ?? s.spec?.node)),
    h("td", { class: "address" }, opt(st.address)),
    h("td", { class: "endpoints" }, (st.endpoints ?? []).join(", ") || "—"),
    h("td", { class: "transition" }, time(lastTransition(s))),
  );
}

function matches(s, f) {
  const st = s.status ?? {};
  if (f.phase.value && st.phase !== f.phase.value) return false;
  if (f.health.value && (st.health?.state ?? "unknown") !== f.health.value) return false;
  if (f.network.value && s.spec?.network !== f.network.value) return false;
  const label = f.label.value.trim();
  if (label) {
    const [k, ...v] = label.split("=");
    const labels = s.metadata?.labels ?? {};
    if (!Object.hasOwn(labels, k) || (v.length > 0 && labels[k] !== v.join("="))) return false;
  }
  const text = f.text.value.trim().toLowerCase();
  return !text || s.metadata.name.toLowerCase().includes(text);
}

function select(id, any, values) {
  return fill(h("select", { id }), any, values);
}

function fill(sel, any, values) {
  const keep = sel.value;
  const now = [...sel.options].map((o) => o.value).slice(1).join("\n");
  if (sel.options.length > 0 && now === values.join("\n")) return sel;
  replace(sel, h("option", { value: "" }, any), values.map((v) => h("option", { value: v }, v)));
  sel.value = values.includes(keep) ? keep : "";
  return sel;
}
