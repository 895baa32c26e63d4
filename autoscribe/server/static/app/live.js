// A subscription that follows the clinic's event log across dropped connections: each event's
// cursor is kept, and after a drop it subscribes again with `after` that cursor, so the events
// committed meanwhile are replayed first, none missed and none twice. Before the first event
// there is no cursor: then a drop calls `reload` (the list is read again) and it goes on from now.
import { onConnection, subscribe } from "./api.js";

const RETRY_MS = [500, 1000, 2000, 4000, 8000];

export function follow({ query, variables, field, onEvent, onError, onState, reload }) {
  let cursor = null;
  let dispose = null;
  let stopped = false;
  let failures = 0;
  let timer = null;

  const offConnection = onConnection((state) => {
    if (stopped) return;
    if (state === "connected") {
      failures = 0;
      onState("live");
    }
  });

  async function start() {
    if (stopped) return;
    onState(failures ? "reconnecting" : "connecting");
    if (cursor === null && failures && reload) await reload().catch(() => {});
    dispose = subscribe(query, { ...variables(), after: cursor }, {
      next: (data) => {
        const event = data[field];
        cursor = event.cursor;
        onEvent(event);
      },
      error: (error) => {
        if (stopped) return;
        if (error.code === "CURSOR_EXPIRED") cursor = null;
        if (["UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT"].includes(error.code)) {
          onState("stopped");
          onError(error);
          return;
        }
        failures += 1;
        onState("reconnecting");
        const wait = RETRY_MS[Math.min(failures - 1, RETRY_MS.length - 1)] * (0.75 + Math.random() / 2);
        timer = window.setTimeout(start, wait);
      },
    });
  }

  start();
  return {
    stop() {
      stopped = true;
      window.clearTimeout(timer);
      offConnection();
      if (dispose) dispose();
    },
    restart() {
      // New variables (a changed filter): the same position in the log, the new filter.
      if (dispose) dispose();
      window.clearTimeout(timer);
      start();
    },
  };
}
