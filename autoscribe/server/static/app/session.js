// The session token, kept in this tab's sessionStorage and nowhere else (gone when the tab
// closes, or on "Sign out"), with what the link that gave it said of it: read-only or not.
const KEY = "autoscribe.session";

export function current() {
  try {
    const kept = JSON.parse(window.sessionStorage.getItem(KEY) || "null");
    return kept && typeof kept.token === "string" ? kept : null;
  } catch (e) {
    return null;
  }
}

export function keep(token, { readOnly = false } = {}) {
  window.sessionStorage.setItem(KEY, JSON.stringify({ token, readOnly }));
}

export function forget() {
  window.sessionStorage.removeItem(KEY);
}

// A reroute link hands over its session in the URL's fragment (#/study/<id>?session=…&mode=…):
// take it, keep it, and replace the history entry so the token is in no URL any more.
export function takeHandOver() {
  const [route, query] = window.location.hash.split("?");
  if (!query) return;
  const params = new URLSearchParams(query);
  const token = params.get("session");
  if (token) keep(token, { readOnly: params.get("mode") === "viewer" });
  window.history.replaceState(null, "", window.location.pathname + route);
}
