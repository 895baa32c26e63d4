// A subscription that follows the clinic's event log across dropped connections and never misses a
// change. It starts at the log's head (the `liveCursor` query), read BEFORE the list (`reload`),
// then subscribes with `after` that cursor: whatever was committed after the cursor comes as an
// event, applied after the list (a change the list already shows may come again, harmlessly, as
// each event carries the study as it is now). Each event's cursor is kept; after a drop it
// subscribes again with `after` the last one, so the events committed meanwhile are replayed
// first, none missed and none twice. A cursor too old for the log (CURSOR_EXPIRED) starts afresh.
import { onConnection, request, subscribe } from "./api.js";
import { LIVE_CURSOR } from "./queries.js";

const RETRY_MS = [500, 1000, 2000, 4000, 8000];

export function follow({ query, variables, field, onEvent, onError, onState, reload }) {
  let cursor = null;
  let dispose = null;
  let stopped = false;
  let failures = 0;
  let timer = null;
  let run = 0; // each start's number: a start overtaken by a newer one goes no further

  const offConnection = onConnection((state) => {
    if (stopped) return;
    if (state === "connected") {
      failures = 0;
      onState("live");
    }
  });

  // An error that retrying cannot mend stops following; anything else (a dropped connection, a
  // server that is restarting) is retried with a growing, jittered wait.
  const FINAL = ["UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT"];
  function failed(error) {
    if (FINAL.includes(error.code)) {
      onState("stopped");
      onError(error);
      return;
    }
    failures += 1;
    onState("reconnecting");
    const wait = RETRY_MS[Math.min(failures - 1, RETRY_MS.length - 1)] * (0.75 + Math.random() / 2);
    timer = window.setTimeout(() => start(false), wait);
  }

  async function start(again) {
    if (stopped) return;
    const mine = ++run;
    onState(failures ? "reconnecting" : "connecting");
    if (cursor === null || again) {
      try {
        if (cursor === null) cursor = (await request(LIVE_CURSOR)).liveCursor;
      } catch (error) {
        if (!stopped && mine === run) failed(error);
        return;
      }
      // What the list's reading says of itself (an error shown, say) is the owner's business.
      if (reload) await reload().catch(() => {});
      if (stopped || mine !== run) return;
    }
    dispose = subscribe(query, { ...variables(), after: cursor }, {
      next: (data) => {
        const event = data[field];
        cursor = event.cursor;
        onEvent(event);
      },
      error: (error) => {
        if (stopped || mine !== run) return;
        if (error.code === "CURSOR_EXPIRED") cursor = null;
        failed(error);
      },
    });
  }

  start(false);
  return {
    stop() {
      stopped = true;
      window.clearTimeout(timer);
      offConnection();
      if (dispose) dispose();
    },
    restart() {
      // New variables (a changed filter): the list read again, then the same position in the
      // log with the new filter.
      if (dispose) dispose();
      dispose = null;
      window.clearTimeout(timer);
      start(true);
    },
  };
}
