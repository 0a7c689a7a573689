// The dashboard's only way to the platform: the public GraphQL API.
// Queries go over HTTP POST; live updates over WebSocket with the graphql-transport-ws
// protocol (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md), which this
// small client speaks itself so the page needs no build step.

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** The GraphQL endpoints: this page's own origin, or `?api=<url>`. */
export function endpoints(location) {
  const api = new URLSearchParams(location.search).get("api");
  const http = new URL(api || "/graphql", location.href);
  const ws = new URL(http.href);
  ws.protocol = http.protocol === "https:" ? "wss:" : "ws:";
  return { http: http.href, ws: ws.href };
}

/**
 * The `Authorization` value for `key`: an API key (a string) or a sign-in session's
 * `credential()` (a function giving the current access token, renewed when due). A session
 * that cannot renew rejects with an ApiError coded SESSION_EXPIRED.
 */
export async function authorization(key) {
  if (typeof key !== "function") return `Bearer ${key}`;
  try {
    return `Bearer ${await key()}`;
  } catch (error) {
    throw new ApiError(`Your session expired (${error.message}); sign in again.`, "SESSION_EXPIRED");
  }
}

/** Run a query; resolves to `data`, rejects with an ApiError carrying the error code. */
export async function query(url, key, document, variables = {}) {
  const bearer = await authorization(key);
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: bearer },
      body: JSON.stringify({ query: document, variables }),
    });
  } catch {
    throw new ApiError(`The GraphQL API at ${url} cannot be reached.`, "NETWORK");
  }
  const body = await response.json().catch(() => null);
  if (!body) throw new ApiError(`The API answered HTTP ${response.status}.`, "HTTP");
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new ApiError(first.message, (first.extensions && first.extensions.code) || "ERROR");
  }
  return body.data;
}

const PROTOCOL = "graphql-transport-ws";
const UNAUTHORIZED_CLOSE = 4403;
const TOKEN_EXPIRED_CLOSE = 4401;

/**
 * One WebSocket carrying any number of subscriptions; reconnects with back-off and
 * re-sends every active subscription after each `connection_ack`. `key` is an API key or a
 * sign-in session's credential function: the gateway closes a token's connection when the
 * token expires (4401), and the connection comes back at once with the renewed token.
 * `onStatus(status)`: "connecting", "live", "reconnecting", "unauthorized" or "expired".
 */
export class LiveConnection {
  constructor(url, key, onStatus) {
    this.url = url;
    this.key = key;
    this.onStatus = onStatus;
    this.subscriptions = new Map();
    this.nextId = 1;
    this.socket = null;
    this.acknowledged = false;
    this.closed = false;
    this.failures = 0;
    this.expiries = 0;
    this.retryTimer = null;
  }

  start() {
    this.closed = false;
    this.open();
  }

  open() {
    this.onStatus(this.failures ? "reconnecting" : "connecting");
    const socket = new WebSocket(this.url, PROTOCOL);
    this.socket = socket;
    this.acknowledged = false;
    socket.addEventListener("open", async () => {
      let bearer;
      try {
        bearer = await authorization(this.key);
      } catch {
        this.closed = true;
        socket.close(1000, "signed out");
        this.onStatus("expired");
        return;
      }
      if (socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: bearer } }));
      }
    });
    socket.addEventListener("message", (message) => this.receive(socket, message.data));
    socket.addEventListener("close", (event) => this.lost(socket, event.code));
  }

  receive(socket, data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === "connection_ack") {
      this.acknowledged = true;
      this.failures = 0;
      this.expiries = 0;
      this.onStatus("live");
      for (const [id, subscription] of this.subscriptions) this.send(id, subscription);
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next" || message.type === "error" || message.type === "complete") {
      const subscription = this.subscriptions.get(message.id);
      if (!subscription) return;
      if (message.type === "next") {
        subscription.sink.next(message.payload);
      } else {
        this.subscriptions.delete(message.id);
        subscription.sink.ended(message.type === "error" ? message.payload : null);
      }
    }
  }

  lost(socket, code) {
    if (socket !== this.socket || this.closed) return;
    this.socket = null;
    if (code === UNAUTHORIZED_CLOSE) {
      this.onStatus("unauthorized");
      return;
    }
    if (code === TOKEN_EXPIRED_CLOSE && this.expiries < 3) {
      this.expiries += 1;  // the token expired: reconnect now, with the renewed one
      this.open();
      return;
    }
    this.failures += 1;
    this.onStatus("reconnecting");
    const delay = Math.min(30000, 1000 * 2 ** Math.min(this.failures - 1, 5));
    this.retryTimer = setTimeout(() => this.open(), delay / 2 + (Math.random() * delay) / 2);
  }

  send(id, subscription) {
    if (!this.socket || !this.acknowledged) return;
    this.socket.send(JSON.stringify({
      id, type: "subscribe", payload: { query: subscription.query, variables: subscription.variables },
    }));
    subscription.sink.active();
  }

  /** Subscribe; `sink` has next(payload), active() (sent, also after reconnects), ended(errors). */
  subscribe(document, variables, sink) {
    const id = String(this.nextId++);
    const subscription = { query: document, variables, sink };
    this.subscriptions.set(id, subscription);
    this.send(id, subscription);
    return () => {
      if (this.subscriptions.delete(id) && this.socket && this.acknowledged) {
        this.socket.send(JSON.stringify({ id, type: "complete" }));
      }
    };
  }

  close() {
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close(1000, "bye");
    this.socket = null;
    this.subscriptions.clear();
  }
}
