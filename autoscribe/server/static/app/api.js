// The public GraphQL API, as any frontend uses it: queries and mutations over HTTP (POST /graphql),
// subscriptions over graphql-transport-ws (the vendored graphql-ws client), the session token as
// the bearer of both. Failures come back as ApiError, whose `message` is a sentence for people.
import { current } from "./session.js";

const HTTP_URL = window.location.origin + "/graphql";
const WS_URL = HTTP_URL.replace(/^http/, "ws");
const ACCEPT = "application/graphql-response+json, application/json;q=0.9";

export class ApiError extends Error {
  constructor(message, code, errors = []) {
    super(message);
    this.code = code;
    this.errors = errors;
  }
}

const SENTENCES = {
  UNAUTHENTICATED: "Your session has ended. Open the link again, or sign in with a new session token.",
  FORBIDDEN: "You are not allowed to do this.",
  NOT_FOUND: "This is no longer there: it may have been removed a moment ago.",
  RATE_LIMITED: "The server is busy. Try again in a moment.",
  CURSOR_EXPIRED: "The live list was away too long to catch up; it has been reloaded.",
  INTERNAL_SERVER_ERROR: "The server failed to do this. Try again; if it goes on, tell your administrator.",
};

// What an error of the API means to the person at the screen. The server's own messages for
// CONFLICT and BAD_USER_INPUT are sentences about the study or report; the others are general.
export function explain(error) {
  const code = error.extensions && error.extensions.code;
  if (code === "FORBIDDEN" && current() && current().readOnly) {
    return new ApiError("This link is read-only: you can read the study and its reports, not dictate.", code, [error]);
  }
  if (code === "CONFLICT" || code === "BAD_USER_INPUT") return new ApiError(error.message, code, [error]);
  return new ApiError(SENTENCES[code] || error.message || "Something went wrong.", code || "UNKNOWN", [error]);
}

function bearer() {
  const session = current();
  return session ? `Bearer ${session.token}` : null;
}

export async function request(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: ACCEPT };
  const auth = bearer();
  if (auth) headers.Authorization = auth;
  let response;
  try {
    response = await window.fetch(HTTP_URL, {
      method: "POST", credentials: "omit", headers, body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new ApiError("The server could not be reached. Check the network and try again.", "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch (e) {
    throw new ApiError(`The server answered ${response.status} with no GraphQL result.`, "HTTP");
  }
  if (body.errors && body.errors.length) {
    const failure = explain(body.errors[0]);
    if (failure.code === "UNAUTHENTICATED") window.dispatchEvent(new CustomEvent("autoscribe:signed-out"));
    throw failure;
  }
  return body.data;
}

// One WebSocket for the page. No automatic retry: a subscription that ends by a dropped
// connection is resubscribed by its owner from the last cursor it got (live.js), which is how
// nothing is missed and nothing repeated. `listeners` hear "connecting", "connected" and "closed".
let client = null;
const listeners = new Set();

export function onConnection(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function socket() {
  if (client === null) {
    client = window.graphqlWs.createClient({
      url: WS_URL,
      lazy: true,
      retryAttempts: 0,
      keepAlive: 10000,
      connectionParams: () => ({ authorization: bearer() }),
      on: {
        connecting: () => listeners.forEach((l) => l("connecting")),
        connected: () => listeners.forEach((l) => l("connected")),
        closed: () => listeners.forEach((l) => l("closed")),
      },
    });
  }
  return client;
}

export function subscribe(query, variables, { next, error }) {
  return socket().subscribe({ query, variables }, {
    next: (result) => {
      if (result.errors && result.errors.length) error(explain(result.errors[0]));
      else next(result.data);
    },
    error: (e) => {
      if (Array.isArray(e) && e.length) error(explain(e[0]));
      else if (e && (e.code === 4403 || e.code === 4401)) error(new ApiError(SENTENCES.UNAUTHENTICATED, "UNAUTHENTICATED"));
      else error(new ApiError("The live connection dropped.", "CLOSED"));
    },
    complete: () => {},
  });
}

export function disconnect() {
  if (client !== null) {
    client.dispose();
    client = null;
  }
}
