// The registry: published modules with their lease counting down, and deployed endpoints.
import { h, replace, table, countdown, opt } from "./dom.js";

export function registryView(app) {
  const published = h("div");
  const deployed = h("div");
  const el = h("section", { class: "registry" }, h("h2", null, "Registry"),
    h("h3", null, "Published modules"),
    h("p", { class: "hint" }, "A refreshed lease is no event: the list is read again every 10 s and when a lease runs out."),
    published, h("h3", null, "Deployed endpoints"), deployed);
  let reread = 0;

  function render() {
    const all = app.state.endpoints;
    const byEntry = new Map();
    for (const e of all.filter((x) => x.source === "published")) {
      const k = `${e.service}\u0000${e.process ?? ""}`;
      if (!byEntry.has(k)) byEntry.set(k, { module: e.service, process: e.process, expiresAt: e.expiresAt, apis: [] });
      byEntry.get(k).apis.push(e);
    }
    replace(published, table("list", ["Module", "Process", "APIs", "Lease"], [...byEntry.values()].map((p) =>
      h("tr", { data: { module: p.module } }, h("td", null, p.module), h("td", null, opt(p.process)),
        h("td", null, p.apis.map((a) => h("div", null, `${a.name} ${a.address}:${a.port} ${a.protocol}`))),
        h("td", { class: "ttl", data: { expires: p.expiresAt ?? "" } }, ttl(p.expiresAt))))));
    replace(deployed, table("list", ["Service", "Endpoint", "Address", "Protocol", "Healthy"],
      all.filter((x) => x.source === "deployed").map((e) =>
        h("tr", null, h("td", null, e.service), h("td", null, e.name), h("td", null, `${e.address}:${e.port}`),
          h("td", null, e.protocol), h("td", null, e.healthy ? "yes" : "no")))));
  }

  function tick() {
    let expired = false;
    for (const td of published.querySelectorAll("td.ttl")) {
      td.textContent = ttl(td.dataset.expires);
      expired ||= td.textContent === "expired";
    }
    if (expired || ++reread % 10 === 0) read();
  }

  async function read() {
    try {
      app.state.endpoints = (await app.api.request("list_endpoints")).endpoints;
      render();
    } catch {
      // not connected: the page reads it again once it is
    }
  }

  render();
  const timer = setInterval(tick, 1000);
  const off = app.on((kind) => kind === "endpoints" && render());
  return { el, dispose: () => { off(); clearInterval(timer); } };
}

function ttl(expiresAt) {
  return expiresAt ? countdown(Date.parse(expiresAt) - Date.now()) : "—";
}
