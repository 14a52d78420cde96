// One WebSocket to /v1/ws of the page's own origin: auth, requests with promised responses,
// events, and reconnection with a backoff (250 ms doubling to 5 s, jittered).

/** An error response of the API (or "disconnected" when the connection dropped first). */
export class ApiError extends Error {
  constructor(code, message, details) {
    super(`${code}: ${message}`);
    this.code = code;
    this.details = details ?? {};
  }
}

export class Api {
  /**
   * hooks: status(text), ready(role, reconnected), events(list, revision), refused(message).
   */
  constructor(url, hooks) {
    this.url = url;
    this.hooks = hooks;
    this.pending = new Map();
    this.next = 0;
    this.attempts = 0;
    this.stopped = false;
    this.connectedOnce = false;
    this.ws = null;
  }

  /** Connects with a token (again, after a refusal). */
  start(token) {
    this.token = token;
    this.stopped = false;
    this.open();
  }

  open() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.hooks.status(this.connectedOnce ? "reconnecting" : "connecting");
    ws.onopen = () => this.authenticate(ws);
    ws.onmessage = (m) => this.receive(m.data);
    ws.onclose = () => this.dropped(ws);
  }

  async authenticate(ws) {
    let role;
    try {
      role = (await this.request("auth", { token: this.token })).role;
    } catch (e) {
      if (e.code === "unauthorized") {
        this.stopped = true;
        ws.close();
        this.hooks.refused(e.message);
      }
      return;
    }
    this.attempts = 0;
    const reconnected = this.connectedOnce;
    this.connectedOnce = true;
    this.hooks.status("connected");
    this.hooks.ready(role, reconnected);
  }

  /** Sends a request; resolves with its data, rejects with an ApiError. */
  request(action, params = {}) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ApiError("disconnected", "not connected"));
    }
    const id = `r${++this.next}`;
    ws.send(JSON.stringify({ id, type: "request", action, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  receive(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (m.type === "response") {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new ApiError(m.error.code, m.error.message, m.error.details));
      else p.resolve(m.data ?? {});
    } else if (m.type === "event") {
      this.hooks.events([m], m.revision);
    } else if (m.type === "events") {
      this.hooks.events(m.events, m.revision);
    }
  }

  dropped(ws) {
    if (ws !== this.ws) return;
    for (const p of this.pending.values()) p.reject(new ApiError("disconnected", "connection lost"));
    this.pending.clear();
    if (this.stopped) {
      this.hooks.status("not connected");
      return;
    }
    const delay = Math.min(5000, 250 * 2 ** this.attempts++) * (0.75 + Math.random() / 2);
    this.hooks.status(`reconnecting in ${Math.round(delay)} ms`);
    setTimeout(() => this.open(), delay);
  }
}
