// How values read on screen: people, ages, statuses, dates.
export const STATUS_LABELS = {
  UNASSIGNED: "Unassigned",
  ASSIGNED: "Assigned",
  IN_PROGRESS: "In progress",
  COMPLETED: "Completed",
  ADDENDUM_ACTIVE: "Addendum open",
};
export const SEVERITY_LABELS = { STAT: "STAT", HIGH: "High", NORMAL: "Normal" };
const SEVERITY_RANK = { STAT: 0, HIGH: 1, NORMAL: 2 };
const HOUR = 3600 * 1000;

export function person(user) {
  if (!user) return "";
  return [user.firstName, user.lastName].filter(Boolean).join(" ");
}

export function ago(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / 60000));
  if (minutes < 1) return "a moment ago";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

export function age(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

export function dateTime(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

// A STAT study not signed an hour after it came in.
export function overdue(study, now = Date.now()) {
  const open = !["COMPLETED", "ADDENDUM_ACTIVE"].includes(study.studyReportStatus);
  return study.severity === "STAT" && open && now - Date.parse(study.createdAt) > HOUR;
}

// PRIORITY order, as the server sorts: STAT, HIGH, NORMAL, each oldest first.
export function byPriority(a, b) {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function procedure(study) {
  return (study.reportMetadata && study.reportMetadata.procedure) || study.studyDescription;
}
