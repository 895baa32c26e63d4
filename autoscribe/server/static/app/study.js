// A study and its dictation: the patient and the order, the technologist's notes, prior reports,
// the reports; start, draft (editor.js), sign, addenda. Kept current by reportStatusChanged.
import { request } from "./api.js";
import { confirmAction } from "./confirm.js";
import { h, keepingFocus, replace } from "./dom.js";
import { editor } from "./editor.js";
import { SEVERITY_LABELS, STATUS_LABELS, ago, dateTime, person, procedure } from "./format.js";
import { follow } from "./live.js";
import { ADDENDUM, CANCEL_ADDENDUM, SIGN, START, STUDY, STUDY_LIVE } from "./queries.js";

function details(pairs) {
  const shown = pairs.filter(([, v]) => v !== null && v !== undefined && v !== "");
  if (!shown.length) return h("p", { class: "none" }, "None given.");
  return h("dl", { class: "details" }, shown.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function measure(m) {
  return m ? `${m.value} ${m.unit.toLowerCase()}` : null;
}

function section(id, title, ...content) {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

function text(value) {
  return h("div", { class: "text" }, value || "");
}

function reportTitle(report, index) {
  return report.isAddendum ? `Addendum ${index}` : "Report";
}

function reportArticle(report, index) {
  const signed = report.status === "COMPLETED";
  const id = `report-${report.id}`;
  return h("article", { class: "report", id, "aria-labelledby": `${id}-title`, dataset: { status: report.status } },
    h("h3", { id: `${id}-title` }, reportTitle(report, index), " ",
      h("span", { class: "badge" }, signed ? "Signed" : "In progress"),
      report.isCritical ? h("span", { class: "badge critical" }, "Critical result") : null),
    h("p", { class: "meta" }, signed
      ? `Signed by ${person(report.author)}, ${dateTime(report.signedAt)}`
      : `Dictated by ${person(report.author)}, started ${ago(report.createdAt)}`),
    signed || report.plainText ? text(report.plainText) : h("p", { class: "none" }, "No draft saved yet."),
    report.pdfUrl ? h("p", {}, h("a", { href: report.pdfUrl, target: "_blank", rel: "noopener noreferrer", class: "pdf" },
      `Open the PDF of the ${reportTitle(report, index).toLowerCase()}`)) : null);
}

export function studyView(main, { me, session, id, setConnection }) {
  const message = h("p", { class: "problem", id: "study-message", role: "alert" });
  let study = null;
  let draft = null; // { reportId, editor, critical } while dictating
  let busy = false;
  let shown = null; // the study as last rendered (JSON): a refresh that changes nothing redraws nothing

  const mineToWrite = (report) => !session.readOnly && report.status === "IN_PROGRESS" &&
    (me.user ? report.author.id === me.user.id : true);

  async function load() {
    const data = await request(STUDY, { id });
    if (!data.study) throw new Error("There is no such study here, or this session may not see it.");
    study = data.study;
    const seen = JSON.stringify(study);
    if (seen === shown) return;
    shown = seen;
    keepingFocus(render);
  }

  function say(text) {
    message.textContent = text;
  }

  async function act(work) {
    if (busy) return;
    busy = true;
    say("");
    try {
      await work();
    } catch (error) {
      say(error.message);
    } finally {
      busy = false;
    }
    await load().catch((error) => say(error.message));
  }

  async function start() {
    try {
      await request(START, { id: study.id });
    } catch (error) {
      if (error.code !== "CONFLICT") throw error;
      // Explain what happened instead: someone else was quicker, or it is theirs.
      await load();
      const open = study.reports.find((r) => r.status === "IN_PROGRESS");
      if (open && (!me.user || open.author.id !== me.user.id)) {
        throw new Error(`${person(open.author)} started this report ${ago(open.createdAt)}: it is theirs to dictate now.`);
      }
      if (study.assignedTo && (!me.user || study.assignedTo.id !== me.user.id)) {
        throw new Error(`This study is assigned to ${person(study.assignedTo)}: only they can start its report.`);
      }
      throw error;
    }
  }

  async function sign(report, critical) {
    const confirmed = await confirmAction({
      title: report.isAddendum ? "Sign this addendum?" : "Sign this report?",
      text: "Signed text cannot be changed afterwards (an addendum can amend it)." +
        (critical ? " It will be marked as holding a CRITICAL result." : " It is not marked critical."),
      ok: critical ? "Sign as critical" : "Sign",
    });
    if (!confirmed) return;
    await draft.editor.flush();
    await request(SIGN, { id: report.id, critical, text: draft.editor.text() });
    draft = null;
  }

  async function cancelAddendum(report) {
    const confirmed = await confirmAction({
      title: "Cancel this addendum?", text: "Its text is discarded; the signed report stays as it is.",
      ok: "Cancel the addendum",
    });
    if (!confirmed) return;
    if (draft) draft.editor.dispose();
    await request(CANCEL_ADDENDUM, { id: report.id });
    draft = null;
  }

  function actions() {
    const reports = study.reports;
    const open = reports.find((r) => r.status === "IN_PROGRESS");
    const status = study.studyReportStatus;
    if (session.readOnly) {
      return h("p", { class: "notice", id: "read-only" },
        "This link is read-only: you can read the study and its reports, not dictate or sign.");
    }
    if (study.isCancelled) return h("p", { class: "notice" }, "This study is cancelled: no report can be started or signed.");
    if (open && mineToWrite(open)) return dictation(open, reports.indexOf(open));
    if (open) {
      return h("p", { class: "notice" }, `${person(open.author)} is dictating this ${open.isAddendum ? "addendum" : "report"}` +
        ` (started ${ago(open.createdAt)}).`);
    }
    if (status === "UNASSIGNED" || status === "ASSIGNED") {
      const theirs = study.assignedTo && me.user && study.assignedTo.id !== me.user.id;
      return h("div", { class: "actions" },
        theirs ? h("p", { class: "notice" }, `Assigned to ${person(study.assignedTo)}.`) : null,
        h("button", { type: "button", id: "start-report", onclick: () => act(start) }, "Start the report"));
    }
    if (status === "COMPLETED" && reports.length) {
      return h("div", { class: "actions" },
        h("button", { type: "button", id: "open-addendum", onclick: () => act(() => request(ADDENDUM, { id: reports[0].id })) },
          "Open an addendum"));
    }
    return null;
  }

  function dictation(report, index) {
    if (!draft || draft.reportId !== report.id) {
      if (draft) draft.editor.dispose();
      draft = { reportId: report.id, editor: editor({ report, label: `${reportTitle(report, index)} text` }) };
    }
    const critical = h("input", { type: "checkbox", id: "critical" });
    return h("div", { class: "dictation", id: "dictation" },
      draft.editor.element,
      h("div", { class: "actions" },
        h("span", { class: "check" }, critical, h("label", { for: "critical" }, "Critical result")),
        h("button", { type: "button", id: "sign", onclick: () => act(() => sign(report, critical.checked)) },
          report.isAddendum ? "Sign the addendum" : "Sign the report"),
        report.isAddendum
          ? h("button", { type: "button", id: "cancel-addendum", onclick: () => act(() => cancelAddendum(report)) }, "Cancel the addendum")
          : null));
  }

  function render() {
    const meta = study.reportMetadata;
    const others = study.reports.filter((r) => !(r.status === "IN_PROGRESS" && mineToWrite(r)));
    replace(main,
      h("p", {}, h("a", { href: "#/worklist" }, "Back to the worklist")),
      h("h1", { id: "study-title" }, meta.patientName || "Unnamed patient", ": ", procedure(study)),
      h("p", { class: "badges" },
        h("span", { class: `badge sev-${study.severity.toLowerCase()}` }, SEVERITY_LABELS[study.severity]), " ",
        h("span", { class: "badge", id: "study-status" }, STATUS_LABELS[study.studyReportStatus]),
        study.isCritical ? [" ", h("span", { class: "badge critical" }, "Critical result")] : null,
        " ", `Came in ${ago(study.createdAt)}`, study.assignedTo ? `; assigned to ${person(study.assignedTo)}` : "; unassigned"),
      message,
      section("h-dictation", "Dictation", actions()),
      section("h-reports", "Reports", others.length
        ? others.map((r) => reportArticle(r, study.reports.indexOf(r)))
        : h("p", { class: "none" }, "No report yet.")),
      section("h-patient", "Patient", details([
        ["Name", meta.patientName], ["MRN", meta.mrn], ["Patient ID", study.externalPatientId], ["Age", meta.age],
        ["Date of birth", meta.dateOfBirth], ["Sex", meta.sex && meta.sex.toLowerCase()],
        ["Height", measure(meta.height)], ["Weight", measure(meta.weight)]])),
      section("h-order", "Study", details([
        ["Procedure", meta.procedure], ["Description", study.studyDescription], ["Modality", study.modality],
        ["Study date", [meta.studyDate, meta.studyTime].filter(Boolean).join(" ")], ["Facility", meta.facilityName],
        ["Referring physician", meta.referringPhysicianName], ["Study Instance UID", study.studyInstanceUid]])),
      section("h-clinical", "Clinical history and indication", details([
        ["Clinical history", study.clinicalHistory], ["Indication", study.clinicalIndication]])),
      section("h-tech", "Technologist",
        study.technologistNotes.length ? h("ul", { class: "notes" }, study.technologistNotes.map((n) => h("li", {}, n)))
          : h("p", { class: "none" }, "No technologist notes."),
        study.technologistTechnique ? details([["Technique", study.technologistTechnique]]) : null),
      section("h-priors", "Prior reports", study.priorReports.length
        ? study.priorReports.map((p, i) => h("article", { class: "prior", "aria-labelledby": `prior-${i}` },
          h("h3", { id: `prior-${i}` }, [p.studyDate, p.modality, p.studyDescription].filter(Boolean).join(" · ") || "Prior study"),
          text(p.reportText)))
        : h("p", { class: "none" }, "No prior reports.")));
  }

  const live = follow({
    query: STUDY_LIVE, field: "reportStatusChanged", variables: () => ({ id }),
    reload: () => load(),
    onEvent: () => { if (!busy) load().catch((error) => say(error.message)); },
    onError: (error) => say(error.message),
    onState: setConnection,
  });
  load().catch((error) => {
    replace(main, h("h1", {}, "Study"), h("p", { class: "problem", role: "alert" }, error.message),
      h("p", {}, h("a", { href: "#/worklist" }, "Back to the worklist")));
  });
  return () => {
    live.stop();
    if (draft) draft.editor.leave();
  };
}
