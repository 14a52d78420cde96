// The controller's own dry-run plan (the `plan` action), printed as `svcreg plan` prints it.
import { h, replace } from "./dom.js";

export function planView(app) {
  const out = h("pre", { id: "plan", class: "plan" }, "planning…");
  const when = h("span", { class: "hint" });
  const refresh = h("button", { id: "plan-refresh", type: "button", onclick: () => load() }, "Refresh");
  let timer = 0;

  async function load() {
    try {
      const plan = await app.api.request("plan");
      replace(out, lines(plan).join("\n"));
      when.textContent = `planned at revision ${app.state.revision}, ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      replace(out, `plan failed: ${e.message}`);
    }
  }
  load();
  // what changes the plan comes as events: plan again a moment after the last of them
  const off = app.on((kind) => {
    if (kind !== "events") return;
    clearTimeout(timer);
    timer = setTimeout(load, 500);
  });
  const el = h("section", { class: "plan" }, h("h2", null, "Plan"),
    h("p", { class: "hint" }, "What the controller would do now: its spec directory against the observed state (a dry run)."),
    h("div", { class: "filters" }, refresh, when), out);
  return { el, dispose: () => { off(); clearTimeout(timer); } };
}

/** The plan as the text `svcreg plan` prints (see docs/plan.md). */
export function lines(plan) {
  const out = [];
  if (plan.sourceRevision) out.push(`Spec directory at Git commit ${plan.sourceRevision}`, "");
  const changes = plan.changes ?? [];
  const count = { create: 0, update: 0, delete: 0 };
  for (const c of changes) count[c.change] = (count[c.change] ?? 0) + 1;
  const actions = (plan.waves ?? []).reduce((n, w) => n + w.actions.length, 0);
  const none = changes.length + actions === 0;
  if (changes.length) {
    out.push("svcreg will perform the following actions:", "");
    const width = Math.max(...changes.map((c) => c.key.length));
    for (const c of changes) {
      const sym = { create: "+", update: "~", delete: "-" }[c.change] ?? "?";
      out.push(`  ${sym} ${c.key.padEnd(width)}  generation ${c.generation}${c.address ? `, address ${c.address}` : ""}`);
      for (const f of c.fields ?? []) out.push(`      ${f.path}: ${f.oldValue ?? "(none)"} → ${f.newValue ?? "(none)"}`);
    }
    out.push("");
  }
  if (plan.unchanged > 0 && !none) out.push(`  ${plan.unchanged} unchanged`, "");
  if ((plan.waves ?? []).length) {
    out.push("Waves (services in one wave proceed in parallel):");
    for (const w of plan.waves) {
      out.push(`  Wave ${w.number}:`);
      for (const a of w.actions) out.push(`    ${action(a)}`);
    }
    out.push("");
  }
  const problems = plan.problems ?? [];
  for (const p of problems) out.push(`${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ""}${p.message}`);
  if (problems.length) out.push("");
  out.push(none
    ? problems.length ? "No changes to the resources without problems." : "No changes. Desired state matches observed state."
    : `Plan: ${count.create} to create, ${count.update} to update, ${count.delete} to delete, ${plan.unchanged} unchanged.`);
  if (problems.length) {
    out.push(`${problems.length} problem${problems.length === 1 ? "" : "s"}: the resources concerned are left out of the plan and keep their last good spec.`);
  }
  return out;
}

/** One action as `svcreg plan` describes it (ActionText). */
function action(a) {
  const head = `${a.type} ${a.service}`;
  switch (a.type) {
    case "allocate_address":
    case "release_address": return `${head} ${a.address} in network ${a.network}`;
    case "deploy": return `${head} ${a.version} on ${a.node}`;
    case "restart": return `${head} on ${a.node} (${a.reason})`;
    case "rollback": return `${head} ${a.fromVersion} → ${a.toVersion} on ${a.node}`;
    case "undeploy": return `${head} ${a.version} from ${a.node}`;
    default: return `${head} on ${a.node}`;
  }
}
