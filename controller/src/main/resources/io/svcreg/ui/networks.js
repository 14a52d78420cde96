// The networks: subnet, this host's attachment, nodes, and the address leases (used / free).
import { h, replace, table, opt } from "./dom.js";

export function networksView(app) {
  const body = h("div");
  const el = h("section", { class: "networks" }, h("h2", null, "Networks"), body);

  function render() {
    const services = [...app.state.services.values()];
    replace(body, app.state.networks.map((n) => network(n, services, app.state.events)));
  }
  render();
  return { el, dispose: app.on(render) };
}

function network(n, services, events) {
  const name = n.metadata.name;
  const spec = n.spec ?? {};
  const st = n.status ?? {};
  const mine = services.filter((s) => s.spec?.network === name);
  const leases = mine.filter((s) => s.status?.address);
  const topology = events.filter((e) => e.event === "network_topology_changed" && e.key === `Network/${name}`).at(-1);
  const nodes = spec.nodes ?? [];
  return h("article", { class: "network", data: { network: name } },
    h("h3", null, name),
    table("list", ["Type", "Subnet", "Reserved", "This host", "Leases used", "Free"], [h("tr", null,
      h("td", null, opt(spec.type)), h("td", null, opt(spec.subnet)), h("td", null, (spec.reserved ?? []).join(", ") || "—"),
      h("td", null, st.attached ? "attached" : "not attached", topology?.data?.how ? ` (${topology.data.how})` : ""),
      h("td", { class: "used" }, String(st.allocated ?? leases.length)),
      h("td", { class: "free" }, st.capacity === undefined ? "—" : String(st.capacity - (st.allocated ?? 0))))]),
    h("h4", null, "Nodes"),
    nodes.length === 0
      ? h("p", { class: "hint" }, "This host only (no nodes declared).")
      : table("list", ["Node", "Address", "Install root", "Services running there"], nodes.map((node) => {
          const on = mine.filter((s) => s.spec?.node === node.name);
          const up = on.filter((s) => s.status?.phase === "running").length;
          return h("tr", null, h("td", null, node.name), h("td", null, opt(node.address)),
            h("td", null, opt(node.installRoot)), h("td", null, `${up} of ${on.length}`));
        })),
    h("h4", null, "Leases"),
    table("list", ["Address", "Service", "Phase"], leases
      .sort((a, b) => ipNumber(a.status.address) - ipNumber(b.status.address))
      .map((s) => h("tr", null, h("td", null, s.status.address), h("td", null, s.metadata.name), h("td", null, opt(s.status.phase))))),
    (st.conditions ?? []).length
      ? table("list", ["Condition", "Status", "Reason", "Message"], st.conditions.map((c) =>
          h("tr", null, h("td", null, c.type), h("td", null, c.status), h("td", null, opt(c.reason)), h("td", null, opt(c.message)))))
      : null,
  );
}

function ipNumber(ip) {
  return String(ip).split(".").reduce((n, x) => n * 256 + Number(x), 0);
}
