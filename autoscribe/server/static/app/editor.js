// The dictation editor: a labelled text area whose text is saved as the report's draft as you
// type (saveReportDraft, debounced), with "Saving…", "Saved" or "Not saved" said in a live region.
import { request } from "./api.js";
import { h } from "./dom.js";
import { SAVE } from "./queries.js";

const DEBOUNCE_MS = 700;

export function editor({ report, label }) {
  const id = `editor-${report.id}`;
  const area = h("textarea", { id, class: "editor", rows: 16, spellcheck: "true", "aria-describedby": `${id}-state` });
  area.value = report.plainText || "";
  const state = h("p", { id: `${id}-state`, class: "save-state", role: "status", "aria-live": "polite" },
    report.plainText ? "Saved" : "");
  let timer = null;
  let saved = area.value;
  let inFlight = null;

  function show(text, kind) {
    state.textContent = text;
    state.dataset.state = kind;
  }

  async function save() {
    window.clearTimeout(timer);
    timer = null;
    if (inFlight) await inFlight.catch(() => {});
    const text = area.value;
    if (text === saved) return;
    show("Saving…", "saving");
    inFlight = request(SAVE, { id: report.id, text });
    try {
      await inFlight;
      saved = text;
      show(area.value === saved ? "Saved" : "Saving…", area.value === saved ? "saved" : "saving");
    } catch (error) {
      show(`Not saved: ${error.message}`, "failed");
      throw error;
    } finally {
      inFlight = null;
    }
  }

  area.addEventListener("input", () => {
    show("Saving…", "saving");
    window.clearTimeout(timer);
    timer = window.setTimeout(() => save().catch(() => {}), DEBOUNCE_MS);
  });
  area.addEventListener("blur", () => { if (timer) save().catch(() => {}); });

  const element = h("div", { class: "editor-block" }, h("label", { for: id }, label), area, state);
  return {
    element,
    text: () => area.value,
    // Before signing: whatever is typed is saved first (a failure stops the signing).
    flush: () => save(),
    pending: () => timer !== null || inFlight !== null || area.value !== saved,
    dispose: () => window.clearTimeout(timer),
    // Leaving the study: what is typed and not yet saved is saved now, not dropped.
    leave: () => { if (timer !== null) save().catch(() => {}); },
  };
}
