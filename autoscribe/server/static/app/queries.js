// The GraphQL documents the reading room sends: the public API, nothing private.
const STUDY_ROW = `id studyInstanceUid studyDescription severity studyReportStatus isCancelled createdAt
  updatedAt modality reportMetadata { patientName procedure } assignedTo { id firstName lastName }`;

export const ME = `query Me { me { clinicName apiKeyId user { id firstName lastName canCreateReports } } }`;

export const WORKLIST = `query Worklist($filter: StudyFilter) {
  studies(filter: $filter, orderBy: PRIORITY, first: 100) { totalCount nodes { ${STUDY_ROW} } }
}`;

// Where the clinic's event log is now: read before a list, then subscribe after it (live.js).
export const LIVE_CURSOR = `query LiveCursor { liveCursor }`;

export const WORKLIST_LIVE = `subscription WorklistLive($filter: StudyFilter, $after: String) {
  worklist(filter: $filter, after: $after) { cursor type study { ${STUDY_ROW} } }
}`;

const REPORT = `id status isAddendum isCritical createdAt updatedAt signedAt plainText pdfUrl
  parentReport { id } author { id firstName lastName }`;

export const STUDY = `query Study($id: ID!) {
  study(id: $id) {
    id studyInstanceUid studyDescription severity studyReportStatus isCancelled createdAt isCritical
    modality externalPatientId clinicalHistory clinicalIndication technologistNotes technologistTechnique
    reportMetadata {
      patientName mrn age dateOfBirth sex procedure facilityName referringPhysicianName studyDate studyTime
      height { value unit } weight { value unit }
    }
    priorReports { studyDate modality studyDescription externalStudyId reportText }
    assignedTo { id firstName lastName }
    reports { ${REPORT} }
  }
}`;

export const STUDY_LIVE = `subscription StudyLive($id: ID, $after: String) {
  reportStatusChanged(studyId: $id, after: $after) { cursor studyReportStatus }
}`;

export const START = `mutation Start($id: ID!) { startReport(studyId: $id) { ${REPORT} } }`;
export const SAVE = `mutation Save($id: ID!, $text: String!) { saveReportDraft(id: $id, plainText: $text) { id updatedAt } }`;
export const SIGN = `mutation Sign($id: ID!, $critical: Boolean!, $text: String) {
  signReport(id: $id, isCritical: $critical, plainText: $text) { ${REPORT} }
}`;
export const ADDENDUM = `mutation Addendum($id: ID!) { createReportAddendum(reportId: $id) { ${REPORT} } }`;
export const CANCEL_ADDENDUM = `mutation CancelAddendum($id: ID!) { cancelReportAddendum(reportId: $id) { id } }`;
