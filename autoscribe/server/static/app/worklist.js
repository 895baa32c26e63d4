// The worklist: the clinic's studies in reading order (PRIORITY), filtered, kept current by the
// `worklist` subscription (live.js resumes it by cursor after a dropped connection).
import { request } from "./api.js";
import { h, replace } from "./dom.js";
import { SEVERITY_LABELS, STATUS_LABELS, age, byPriority, overdue, person, procedure } from "./format.js";
import { follow } from "./live.js";
import { WORKLIST, WORKLIST_LIVE } from "./queries.js";

const TICK_MS = 30000;

function select(id, label, options, value, disabled = []) {
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("select", { id, name: id },
      options.map(([v, text]) => h("option", { value: v, selected: v === value, disabled: disabled.includes(v) }, text))));
}

export function filterOf(choice, me) {
  const filter = { isCancelled: false };
  if (choice.assignee === "mine" && me.user) filter.assignedTo = me.user.id;
  if (choice.assignee === "unassigned") filter.assignedTo = null;
  if (choice.status) filter.studyReportStatus = [choice.status];
  if (choice.severity) filter.severity = [choice.severity];
  return filter;
}

function row(study, now) {
  const late = overdue(study, now);
  const name = (study.reportMetadata && study.reportMetadata.patientName) || "Unnamed patient";
  return h("tr", { class: [study.severity === "STAT" ? "stat" : "", late ? "overdue" : ""].join(" ").trim() || null,
                   dataset: { studyId: study.id, status: study.studyReportStatus } },
    h("td", { class: "severity" }, h("span", { class: `badge sev-${study.severity.toLowerCase()}` }, SEVERITY_LABELS[study.severity]),
      late ? h("span", { class: "badge late" }, "Overdue") : null),
    h("td", { class: "status" }, STATUS_LABELS[study.studyReportStatus]),
    h("th", { scope: "row", class: "patient" }, h("a", { href: `#/study/${study.id}` }, name)),
    h("td", { class: "procedure" }, [study.modality, procedure(study)].filter(Boolean).join(" · ")),
    h("td", { class: "age", dataset: { created: study.createdAt } }, age(study.createdAt, now)),
    h("td", { class: "assignee" }, person(study.assignedTo) || "Unassigned"));
}

export function worklistView(main, { me, setConnection, choice }) {
  const studies = new Map();
  const body = h("tbody");
  const count = h("p", { class: "count", id: "worklist-count" });
  const problem = h("p", { class: "problem", role: "alert" });
  const canMine = Boolean(me.user);

  const filters = h("form", { class: "filters", "aria-label": "Filters", onsubmit: (e) => e.preventDefault() },
    select("filter-assignee", "Assigned to", [["", "Anyone"], ["mine", "Me"], ["unassigned", "No one"]],
      choice.assignee, canMine ? [] : ["mine"]),
    select("filter-status", "Status", [["", "Any status"], ...Object.entries(STATUS_LABELS)], choice.status),
    select("filter-severity", "Severity", [["", "Any severity"], ...Object.entries(SEVERITY_LABELS)], choice.severity));

  replace(main,
    h("h1", {}, "Worklist"),
    filters,
    problem,
    count,
    h("div", { class: "table-wrap" },
      h("table", { id: "worklist" },
        h("caption", {}, "Studies in reading order: STAT first, then High, then Normal, oldest first"),
        h("thead", {}, h("tr", {},
          ["Severity", "Status", "Patient", "Procedure", "Age", "Assigned to"].map((t) => h("th", { scope: "col" }, t)))),
        body)));

  // Rows are kept by study and redrawn only when what they show changed, and moved only when
  // their place did: the focus stays on a row's link while other rows change.
  const rows = new Map(); // study id -> { shown, tr }
  function render() {
    const now = Date.now();
    const sorted = [...studies.values()].sort(byPriority);
    const wanted = sorted.map((s) => {
      const shown = JSON.stringify(s) + overdue(s, now);
      let kept = rows.get(s.id);
      if (!kept || kept.shown !== shown) {
        const tr = row(s, now);
        if (kept) kept.tr.replaceWith(tr);
        kept = { shown, tr };
        rows.set(s.id, kept);
      }
      return kept.tr;
    });
    for (const [id, kept] of rows) {
      if (!studies.has(id)) {
        kept.tr.remove();
        rows.delete(id);
      }
    }
    body.querySelectorAll("tr.empty").forEach((tr) => tr.remove());
    wanted.forEach((tr, i) => { if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null); });
    count.textContent = sorted.length === 1 ? "1 study" : `${sorted.length} studies`;
    if (!sorted.length) body.append(h("tr", { class: "empty" }, h("td", { colspan: 6 }, "No study matches these filters.")));
  }

  // Filters changed quickly send readings one after another: only the newest one's answer is shown.
  let readings = 0;
  async function load() {
    const mine = ++readings;
    try {
      const data = await request(WORKLIST, { filter: filterOf(choice, me) });
      if (mine !== readings) return;
      studies.clear();
      for (const s of data.studies.nodes) studies.set(s.id, s);
      problem.textContent = data.studies.totalCount > data.studies.nodes.length
        ? `Showing the first ${data.studies.nodes.length} of ${data.studies.totalCount}: narrow the filters to see the rest.` : "";
      render();
    } catch (error) {
      if (mine === readings) problem.textContent = error.message;
    }
  }

  const live = follow({
    query: WORKLIST_LIVE,
    field: "worklist",
    variables: () => ({ filter: filterOf(choice, me) }),
    reload: load, // the list, read after the live cursor and before the subscription
    onEvent: (event) => {
      if (event.type === "REMOVED") studies.delete(event.study.id);
      else studies.set(event.study.id, event.study);
      render();
    },
    onError: (error) => { problem.textContent = error.message; },
    onState: setConnection,
  });

  filters.addEventListener("change", () => {
    choice.assignee = filters.elements["filter-assignee"].value;
    choice.status = filters.elements["filter-status"].value;
    choice.severity = filters.elements["filter-severity"].value;
    live.restart();
  });

  // Ages move on, and a STAT study becomes overdue an hour after it came in.
  const tick = window.setInterval(() => {
    const now = Date.now();
    for (const cell of body.querySelectorAll("td.age")) cell.textContent = age(cell.dataset.created, now);
    render();
  }, TICK_MS);

  return () => {
    window.clearInterval(tick);
    live.stop();
  };
}
