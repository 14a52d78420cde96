// One service: desired spec against observed status, conditions, health output, its events,
// its deployment progress, and (admin) start / stop / restart / redeploy.
import { h, replace, table, time, opt } from "./dom.js";
import { outOfSync, degraded, labelTexts } from "./model.js";
import { eventLine } from "./events.js";

/** Deployment steps in order: their index is the progress bar's value. */
const STEPS = ["install", "installed", "start", "running"];

export function serviceView(app, name) {
  const result = h("output", { id: "action-result" });
  const buttons = app.isAdmin()
    ? h("div", { class: "actions" },
        ["start", "stop", "restart"].map((a) =>
          h("button", { class: "action", data: { action: a }, onclick: () => act(a, "service_action", { name, action: a }) }, a)),
        h("button", { class: "action", data: { action: "redeploy" }, onclick: () => act("redeploy", "deploy_package", { name }) }, "redeploy"),
        result)
    : null;
  const body = h("div");
  const el = h("section", { class: "service" },
    h("p", null, h("a", { href: "#/services" }, "← services")),
    h("h2", null, "Service ", h("span", { id: "service-name" }, name)), buttons, body);

  async function act(label, action, params) {
    result.textContent = `${label}: sent…`;
    result.className = "";
    try {
      const r = await app.api.request(action, params);
      result.textContent = `${label}: accepted (revision ${r.revision}${r.version ? `, version ${r.version}` : ""})`;
      result.className = "ok";
    } catch (e) {
      result.textContent = `${label} failed: ${e.message}`;
      result.className = "bad";
    }
  }

  function render() {
    const s = app.state.services.get(name);
    if (!s) {
      replace(body, h("p", { class: "hint" }, `no service named ${name}`));
      return;
    }
    const events = app.state.events.filter((e) => e.key === `Service/${name}`);
    replace(body,
      h("p", { class: "summary" },
        h("span", { id: "service-phase", class: `phase phase-${s.status?.phase}` }, opt(s.status?.phase)), " ",
        degraded(s) ? h("span", { class: "badge bad" }, "degraded") : null, " ",
        outOfSync(s) ? h("span", { class: "badge warn" }, "out of sync") : null, " ",
        labelTexts(s).map((l) => h("span", { class: "label" }, l))),
      h("h3", null, "Desired against observed"),
      diff(s),
      h("h3", null, "Deployment"),
      progress(s, events),
      h("p", null, "Previous version: ", h("span", { id: "previous-version" }, opt(s.status?.previousVersion))),
      s.status?.lastError ? h("p", { class: "bad" }, "Last error: ", s.status.lastError) : null,
      h("h3", null, "Conditions"),
      table("list conditions", ["Type", "Status", "Reason", "Message", "Since"],
        (s.status?.conditions ?? []).map((c) => h("tr", null, h("td", null, c.type), h("td", null, c.status),
          h("td", null, opt(c.reason)), h("td", null, opt(c.message)), h("td", null, time(c.lastTransitionTime))))),
      h("h3", null, "Health"),
      h("p", null, opt(s.status?.health?.state), s.status?.health?.checkedAt ? ` (checked ${time(s.status.health.checkedAt)})` : ""),
      h("pre", { id: "health-output", class: "output" }, s.status?.health?.output || "(no output)"),
      h("h3", null, "Spec (normalized)"),
      h("pre", { class: "spec" }, flatten(s.spec, "spec").join("\n")),
      h("h3", null, "Events"),
      h("ol", { id: "timeline", class: "timeline", reversed: true },
        events.slice(-200).reverse().map((e) => h("li", null, h("time", null, time(e.time)), " ", eventLine(e)))),
    );
  }
  render();
  return { el, dispose: app.on(render) };
}

/** The fields the controller compares, desired next to observed; differing rows marked. */
function diff(s) {
  const spec = s.spec ?? {};
  const st = s.status ?? {};
  const endpoints = (spec.endpoints ?? []).map((e) => `${e.name} ${e.port}/${e.protocol}`).join(", ");
  const rows = [
    ["generation", s.generation, st.observedGeneration, true],
    ["version", spec.version, st.deployedVersion, (spec.state ?? "running") === "running"],
    ["state / phase", spec.state ?? "running", st.phase, true],
    ["node", spec.node, st.node, st.node !== undefined && st.node !== null],
    ["address", spec.address ?? "(any free)", st.address, spec.address !== undefined && spec.address !== null],
    ["network", spec.network, spec.network, false],
    ["endpoints", endpoints || "—", (st.endpoints ?? []).join(", ") || "—", false],
  ];
  return table("list diff", ["Field", "Desired", "Observed", ""], rows.map(([field, want, got, compare]) => {
    const differs = compare && String(want ?? "") !== String(got ?? "");
    return h("tr", { class: differs ? "differs" : "", data: { field } },
      h("td", null, field), h("td", null, opt(want)), h("td", null, opt(got)), h("td", null, differs ? "≠" : ""));
  }));
}

/** The last deployment's progress, from its deployment_progress and state events. */
function progress(s, events) {
  let step = -1;
  let text = "no deployment seen since the page loaded its events";
  let version = "";
  for (const e of events) {
    if (e.event === "deployment_progress") {
      version = e.data.version ?? version;
      if (e.data.phase === "rollback") {
        step = STEPS.length - 1;
        text = `rolled back${e.data.message ? `: ${e.data.message}` : ""}`;
      } else if (STEPS.includes(e.data.phase)) {
        step = STEPS.indexOf(e.data.phase);
        text = e.data.phase;
      }
    } else if (e.event === "service_state_changed" && step >= 2 && e.data.to === "running") {
      step = 3;
      text = "running";
    }
  }
  return h("p", { class: "progress" },
    h("progress", { id: "deploy-progress", max: STEPS.length, value: step + 1 }), " ",
    h("span", { id: "deploy-step" }, version ? `${version}: ${text}` : text));
}

/** Every leaf of a JSON value as "path: value", keys sorted. */
function flatten(v, path) {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.length ? v.flatMap((x, i) => flatten(x, `${path}[${i}]`)) : [`${path}: []`];
  if (typeof v === "object") {
    const keys = Object.keys(v).sort();
    return keys.length ? keys.flatMap((k) => flatten(v[k], `${path}.${k}`)) : [`${path}: {}`];
  }
  return [`${path}: ${v}`];
}
