// An independent client of svcreg's WebSocket API (Node.js and the `ws` package), used by the
// build's NodeClientIT and usable by hand against a running controller:
//
//   node tools/node/ws-client-check.mjs URL CA_FILE TOKEN_FILE SERVICE COUNT
//
// It trusts the CA (`ca:` option), sends the token as `Authorization: Bearer`, asks server_info,
// subscribes to reconcile_diff (a registry_loaded snapshot comes first), prints "ready", then
// waits for COUNT live events; then get_service SERVICE, an unknown action (the connection must
// stay usable), and finally a second connection that resumes with `since` = the second live
// event's revision and must get exactly the events after it (and none more before the answer to a
// request sent after them). Each step is one JSON line on
// stdout: {"step": ..., "message": ...}. Exit status 0 when every step completed, 1 otherwise.
//
// The events of one revision come in one message: an "event" message, or an "events" message
// when several events share the revision (a replicated, HA controller). Each event of an "events"
// message is printed as the "event" message it stands for, and a revision is counted only whole:
// the live events may end after COUNT (the rest of that revision), and the resume uses the
// revision of the message that held the second live event.
import fs from "node:fs";
import WebSocket from "ws";

const [url, caFile, tokenFile, service, countText] = process.argv.slice(2);
if (!url || !caFile || !tokenFile || !service || !countText) {
  console.error("usage: ws-client-check.mjs URL CA_FILE TOKEN_FILE SERVICE COUNT");
  process.exit(2);
}
const count = Number(countText);
const ca = fs.readFileSync(caFile);
const token = fs.readFileSync(tokenFile, "utf8").trim();

const print = (step, message) => console.log(JSON.stringify({ step, message }));
const isEvents = (m) => m.type === "event" || m.type === "events";
/** The events of an "event" or "events" message (one whole revision), each as an event message. */
const eventsOf = (m) =>
  m.type === "events" ? m.events.map((e) => ({ type: "event", ...e })) : [m];
const deadline = setTimeout(() => {
  console.error("ws-client-check: timed out");
  process.exit(1);
}, 60_000);

/** One connection: requests by id, and every message in arrival order. */
function open() {
  const ws = new WebSocket(url, { ca, headers: { Authorization: `Bearer ${token}` } });
  const inbox = [];
  const skipped = [];
  const waiters = [];
  let ids = 0;
  ws.on("message", (data, isBinary) => {
    if (isBinary) throw new Error("a binary message");
    inbox.push(JSON.parse(data.toString("utf8")));
    for (const w of waiters.splice(0)) w();
  });
  ws.on("error", (e) => {
    console.error("ws-client-check:", e.message);
    process.exit(1);
  });
  /** The next message (in order) that matches, removing it and everything before it. */
  const next = (match) =>
    new Promise((resolve) => {
      const look = () => {
        const i = inbox.findIndex(match);
        if (i < 0) return waiters.push(look);
        resolve(inbox[i]);
        skipped.push(...inbox.splice(0, i + 1).slice(0, -1));
      };
      look();
    });
  const call = async (action, params = {}) => {
    const id = `n${++ids}`;
    ws.send(JSON.stringify({ id, type: "request", action, params }));
    return next((m) => m.type === "response" && m.id === id);
  };
  const opened = new Promise((resolve) => ws.once("open", resolve));
  return { ws, next, call, opened, skipped };
}

const first = open();
await first.opened;
print("server_info", await first.call("server_info"));
const subscribed = first.call("subscribe", { events: ["reconcile_diff"] });
print("subscribe", await subscribed);
print("event", await first.next((m) => m.type === "event"));
print("ready", {});
const live = [];
while (live.length < count) {
  for (const e of eventsOf(await first.next(isEvents))) {
    live.push(e);
    print("event", e);
  }
}
print("get_service", await first.call("get_service", { name: service }));
print("unknown_action", await first.call("reboot"));
print("after_error", await first.call("server_info"));
first.ws.close(1000, "done");

const since = live[1].revision;
const second = open();
await second.opened;
print("resume", await second.call("subscribe", { events: ["reconcile_diff"], since }));
let replayed = 0;
while (replayed < live.filter((e) => e.revision > since).length) {
  for (const e of eventsOf(await second.next(isEvents))) {
    replayed++;
    print("replayed", e);
  }
}
// A request after the replay: any event that arrives before its response came twice or unasked.
await second.call("server_info");
print("extra", second.skipped.filter(isEvents));
second.ws.close(1000, "done");
await new Promise((resolve) => second.ws.once("close", resolve));
clearTimeout(deadline);
print("done", {});
