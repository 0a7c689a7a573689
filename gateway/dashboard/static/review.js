// The reviewer's page: the self-assessments and data calls waiting for a QSMO's publisher (or
// an admin), each opened to read and then accepted or returned with comments.
import * as Q from "./tools_queries.js";
import {
  renderAssessmentComparison, renderAssessmentReview, renderDataCallReview, renderReviewList,
} from "./tools_views.js";

const $ = (id) => document.getElementById(id);
let tools = null;
let queue = [];
let reviewing = null;

/** Open the page for a signed-in reviewer (`context`: what it uses of the session). */
export async function openReview(context) {
  tools = context;
  await tools.directory();
  const own = tools.viewer.qsmoId;
  const select = $("review-qsmo");
  select.replaceChildren(...tools.qsmos.filter((q) => !own || q.id === own).map((q) => new Option(q.name, q.id)));
  if (own) select.value = own;
  $("review-qsmo-control").hidden = Boolean(own);
  const years = $("sa-compare-fy");
  years.replaceChildren();
  for (let year = tools.currentFiscalYear(); year >= 2022; year -= 1) years.append(new Option(`FY${year}`, String(year)));
  const fy = Number(new URLSearchParams(window.location.search).get("fy"));
  years.value = String(fy >= 2022 && fy <= tools.currentFiscalYear() ? fy : tools.lastClosedFiscalYear());
  await loadQueue();
  // Without ?fy=, compare the year the newest submission is for, else the year just ended
  // (the one providers assess), not the year that has just begun.
  const newest = [...queue].sort((a, b) => String(b.submittedAt).localeCompare(String(a.submittedAt)))[0];
  if (!(fy >= 2022) && newest) years.value = String(newest.fiscalYear);
  await loadComparison();
}

async function loadComparison() {
  const qsmo = $("review-qsmo").value;
  const fy = Number($("sa-compare-fy").value);
  const data = await tools.ask(Q.ASSESSMENT_COMPARISON, { qsmo, fy });
  renderAssessmentComparison($("sa-compare"), data.selfAssessmentComparison, tools.providerName);
  $("sa-compare-section").dataset.ready = "true";
}

async function loadQueue() {
  const qsmo = $("review-qsmo").value;
  tools.say("review-problem", "");
  // Each tool's queue on its own: one that cannot be read leaves the other one shown.
  const [assessments, dataCalls] = await Promise.all([
    tools.ask(Q.ASSESSMENTS_TO_REVIEW, { qsmo }).then((d) => d.selfAssessmentsToReview),
    tools.ask(Q.DATA_CALLS_TO_REVIEW, { qsmo }).then((d) => d.dataCallsToReview).catch((error) => {
      tools.say("review-problem", `Data calls to review cannot be read: ${error.message}`, { problem: true });
      return [];
    }),
  ]);
  const latest = (d) => d.versions[d.versions.length - 1];
  queue = [
    ...assessments.map((a) => ({ kind: "self-assessment", label: "Self-assessment", data: a,
      id: a.id, provider: a.providerId, fiscalYear: a.fiscalYear, submittedAt: a.submittedAt,
      submittedBy: submitter(a.history) })),
    ...dataCalls.map((d) => ({ kind: "data-call", label: "Data call", data: d, id: d.id,
      provider: d.providerId, fiscalYear: d.fiscalYear, submittedAt: latest(d).submittedAt,
      submittedBy: latest(d).submittedBy })),
  ];
  renderReviewList($("review-list"), queue, tools.providerName);
  $("review").dataset.ready = "true";
}

/** Who submitted last: the newest SUBMITTED entry of the history. */
function submitter(history) {
  const submitted = (history || []).filter((h) => h.action === "SUBMITTED");
  return submitted.length ? submitted[submitted.length - 1].by : null;
}

async function openSubmission(kind, id) {
  const submission = queue.find((s) => s.kind === kind && s.id === id);
  if (!submission) return;
  reviewing = submission;
  $("review-detail").hidden = false;
  $("review-detail").dataset.kind = kind;
  $("review-detail-title").textContent =
    `${submission.label} of ${tools.providerName(submission.provider)}, FY${submission.fiscalYear}`;
  if (kind === "self-assessment") renderAssessmentReview($("review-body"), submission.data, await tools.elementCatalog());
  else renderDataCallReview($("review-body"), submission.data);
  $("review-comments").value = "";
  tools.say("review-message", "");
  $("review-detail-title").focus();
}

async function decide(decision) {
  const submission = reviewing;
  if (!submission) return;
  const comments = $("review-comments").value.trim();
  if (decision === "RETURN" && !comments) {
    tools.say("review-message", "Say what to change before returning it: write the comments above.", { problem: true });
    $("review-comments").focus();
    return;
  }
  const mutation = submission.kind === "self-assessment" ? Q.REVIEW_ASSESSMENT : Q.REVIEW_DATA_CALL;
  await tools.ask(mutation, { id: submission.id, decision, comments: comments || null });
  reviewing = null;
  $("review-detail").hidden = true;
  await Promise.all([loadQueue(), loadComparison()]);
  const done = decision === "ACCEPT" ? "accepted" : "returned to the provider";
  $("review-list").querySelector("caption").append(
    ` — the ${submission.label.toLowerCase()} of ${tools.providerName(submission.provider)} was ${done}.`);
}

/** The page's controls (once per page load). */
export function wireReview() {
  const failed = (id) => (error) => tools.failed(id)(error);
  $("review-qsmo").addEventListener("change", () => {
    loadQueue().catch(failed("review-problem"));
    loadComparison().catch(failed("review-problem"));
  });
  $("sa-compare-fy").addEventListener("change", () => loadComparison().catch(failed("review-problem")));
  $("review-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-kind]");
    if (button) openSubmission(button.dataset.kind, button.dataset.id).catch(failed("review-problem"));
  });
  $("review-accept").addEventListener("click", () => decide("ACCEPT").catch(failed("review-message")));
  $("review-return").addEventListener("click", () => decide("RETURN").catch(failed("review-message")));
}
