// The provider tools' pages: a provider fills its self-assessment, uploads its data-call
// workbook and reads its survey results; a QSMO reviewer (publisher or admin) accepts or returns
// what was submitted (review.js); everyone but a provider reads the performance reviews
// (performance_reviews.js). Which pages a key sees follows its role; `?page=tools|review|reviews`
// opens one.
import { ApiError, authorization, query } from "./graphql.js";
import { closeReviews, openReviews, wireReviews } from "./performance_reviews.js";
import { openReview, wireReview } from "./review.js";
import * as Q from "./tools_queries.js";
import {
  describeAssessment, describeDataCall, readRatings, renderAssessmentForm, renderComments, renderHistory,
  renderSurvey, renderUploadErrors, renderVersions, statusWords,
} from "./tools_views.js";

const $ = (id) => document.getElementById(id);
const EDITABLE = new Set(["DRAFT", "RETURNED"]);
const PAGES = { PROVIDER: ["scorecards", "tools"], PUBLISHER: ["scorecards", "review", "reviews"],
  ADMIN: ["scorecards", "tools", "review", "reviews"], VIEWER: ["scorecards", "reviews"] };
const OPENERS = { tools: () => openTools(), review: () => openReview(reviewContext()),
  reviews: () => openReviews(reviewsContext()) };
const PROBLEMS = { tools: "tools-problem", review: "review-problem", reviews: "reviews-problem" };
let session = null;

function currentFiscalYear(now = new Date()) {
  return now.getUTCMonth() >= 9 ? now.getUTCFullYear() + 1 : now.getUTCFullYear();
}

/** The fiscal year just ended (never before FY2022). */
function lastClosedFiscalYear(now = new Date()) {
  return Math.max(2022, currentFiscalYear(now) - 1);
}

function ask(document, variables) {
  return query(session.api.http, session.key, document, variables);
}

function say(id, text, { problem = false } = {}) {
  $(id).textContent = text || "";
  $(id).classList.toggle("error", problem);
}

function failed(id) {
  return (error) => {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") session.reportError(error);
    else say(id, error.message || String(error), { problem: true });
  };
}

/** Start the tools for a signed-in key: the page switcher, then the page the address names. */
export function startTools({ api, key, viewer, qsmos, reportError }) {
  const pages = PAGES[viewer.role] || [];
  session = { api, key, viewer, qsmos, reportError, pages, directory: null, loaded: new Set() };
  $("pages-nav").hidden = pages.length < 2;
  $("tools-page-item").hidden = !pages.includes("tools");
  $("review-page-item").hidden = !pages.includes("review");
  $("reviews-page-item").hidden = !pages.includes("reviews");
  const wanted = new URLSearchParams(window.location.search).get("page");
  const first = pages.includes(wanted) ? wanted : (viewer.role === "PROVIDER" ? "tools" : "scorecards");
  showPage(first);
}

export function stopTools() {
  if (session && session.loaded.has("reviews")) closeReviews();
  session = null;
  for (const id of ["pages-nav", "tools", "review", "reviews"]) $(id).hidden = true;
  for (const id of ["tools", "review", "sv-section", "sa-compare-section"]) delete $(id).dataset.ready;
  $("review-detail").hidden = true;
}

function showPage(page) {
  $("dashboard").hidden = page !== "scorecards";
  $("tools").hidden = page !== "tools";
  $("review").hidden = page !== "review";
  $("reviews").hidden = page !== "reviews";
  for (const button of document.querySelectorAll("#pages-nav button[data-page]")) {
    if (button.dataset.page === page) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  const url = new URL(window.location.href);
  if (page === "scorecards") url.searchParams.delete("page");
  else url.searchParams.set("page", page);
  window.history.replaceState(null, "", url);
  if (page === "scorecards" || session.loaded.has(page)) return;
  session.loaded.add(page);
  OPENERS[page]().catch(failed(PROBLEMS[page]));
}

async function directory() {
  if (!session.directory) session.directory = (await ask(Q.DIRECTORY)).providers;
  return session.directory;
}

function providerName(id) {
  const found = (session.directory || []).find((p) => p.id === id);
  return found ? found.name : id;
}

// ------------------------------------------------------------------ the provider's page

async function openTools() {
  const providers = await directory();
  // A provider key acts for one provider (the viewer says which); an admin chooses any.
  const own = session.viewer.role === "PROVIDER" ? (await ask(Q.OWN_PROVIDER)).viewer.providerId : null;
  const select = $("tools-provider");
  select.replaceChildren(...providers.filter((p) => !own || p.id === own).map((p) => new Option(p.name, p.id)));
  const wanted = new URLSearchParams(window.location.search).get("provider");
  if (own) select.value = own;
  else if (providers.some((p) => p.id === wanted)) select.value = wanted;
  $("tools-provider-control").hidden = Boolean(own);
  const years = $("tools-fiscal-year");
  years.replaceChildren();
  for (let year = currentFiscalYear(); year >= 2022; year -= 1) years.append(new Option(`FY${year}`, String(year)));
  const fy = Number(new URLSearchParams(window.location.search).get("fy"));
  // Without ?fy=, the year just ended: the one a provider assesses and reports on.
  years.value = String(fy >= 2022 && fy <= currentFiscalYear() ? fy : lastClosedFiscalYear());
  await refreshTools();
  $("tools").dataset.ready = "true";
}

function chosen() {
  return { provider: $("tools-provider").value, fy: Number($("tools-fiscal-year").value) };
}

function refreshTools() {
  say("tools-problem", "");
  return Promise.all([
    loadAssessment().catch(failed("sa-message")),
    loadDataCall().catch(failed("dc-message")),
    loadSurveyWaves().catch(failed("sv-summary")),
  ]);
}

async function loadAssessment() {
  const { provider, fy } = chosen();
  const data = await ask(Q.ASSESSMENT, { provider, fy });
  if (provider !== chosen().provider || fy !== chosen().fy) return;
  const assessment = data.selfAssessment;
  session.catalog = data.selfAssessmentElements;
  const editable = !assessment || EDITABLE.has(assessment.status);
  renderAssessmentForm($("sa-categories"), session.catalog, assessment && assessment.ratings, { editable });
  $("sa-save").disabled = !editable;
  $("sa-submit").disabled = !editable;
  $("sa-status").textContent = describeAssessment(assessment, fy);
  $("sa-section").dataset.status = assessment ? assessment.status : "NONE";
  renderComments($("sa-comments"), assessment && assessment.status === "RETURNED" ? assessment.reviewComments : null);
  renderHistory($("sa-history-list"), assessment && assessment.history);
}

async function saveAssessment(submit) {
  const { provider, fy } = chosen();
  // What is rated so far: a draft keeps it; a submission of fewer than every element is
  // refused by the API, which names the elements left to rate.
  const ratings = readRatings($("sa-categories")).filter((r) => r.rating !== null);
  say("sa-message", submit ? "Submitting…" : "Saving the draft…");
  const data = await ask(submit ? Q.SUBMIT : Q.SAVE_DRAFT, { provider, fy, ratings });
  const saved = submit ? data.submitSelfAssessment : data.saveSelfAssessmentDraft;
  await loadAssessment();
  say("sa-message", submit ? `Submitted for review (${statusWords(saved.status).toLowerCase()}).`
    : `Draft saved (revision ${saved.revision}).`);
}

async function loadDataCall() {
  const { provider, fy } = chosen();
  const data = await ask(Q.DATA_CALL, { provider, fy });
  if (provider !== chosen().provider || fy !== chosen().fy) return;
  const call = data.dataCall;
  const latest = call && call.versions.length ? call.versions[call.versions.length - 1] : null;
  $("dc-status").textContent = describeDataCall(call, latest, fy);
  $("dc-section").dataset.status = latest ? latest.status : "NONE";
  renderComments($("dc-comments"), latest && latest.status === "RETURNED" && latest.review ? latest.review.comments : null);
  renderVersions($("dc-versions"), call ? call.versions : []);
}

async function downloadTemplate() {
  const { provider, fy } = chosen();
  const response = await fetch(Q.dataCallPaths(session.api.http, fy, provider).template,
    { headers: { Authorization: await authorization(session.key) } });
  if (!response.ok) throw new Error(await errorText(response));
  const blob = await response.blob();
  const link = $("dc-template-link");
  URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = `data-call-FY${fy}-template.xlsx`;
  link.click();
  $("dc-template").dataset.bytes = String(blob.size);
  say("dc-message", `Template for FY${fy} downloaded (${Math.round(blob.size / 1024)} KB).`);
}

async function errorText(response) {
  const body = await response.json().catch(() => null);
  return (body && body.error && body.error.message) || `The API answered HTTP ${response.status}.`;
}

async function uploadWorkbook() {
  const file = $("dc-file").files[0];
  if (!file) {
    say("dc-message", "Choose the filled workbook (.xlsx) first.", { problem: true });
    return;
  }
  const { provider, fy } = chosen();
  const reason = $("dc-reason").value.trim();
  const url = new URL(Q.dataCallPaths(session.api.http, fy, provider).workbook);
  if (reason) url.searchParams.set("reason", reason);
  say("dc-message", `Uploading ${file.name}…`);
  renderUploadErrors($("dc-errors"), []);
  const response = await fetch(url, { method: "POST", body: file,
    headers: { Authorization: await authorization(session.key), "Content-Type": Q.XLSX } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (body && body.error) || {};
    const why = error.message || `The upload was refused (HTTP ${response.status}).`;
    const stop = /[.!?]$/.test(why) ? "" : ".";
    say("dc-message", `${why}${stop} Nothing was stored: correct the workbook and upload it again.`, { problem: true });
    renderUploadErrors($("dc-errors"), error.errors || []);
    $("dc-section").dataset.upload = "refused";
    return;
  }
  $("dc-upload-form").reset();
  await loadDataCall();
  const version = body && (body.version || (body.dataCall && body.dataCall.version));
  say("dc-message", `${file.name} stored${version ? ` as version ${version}` : ""}: every cell checked.`);
  $("dc-section").dataset.upload = "stored";
}

async function loadSurveyWaves() {
  // Every wave, newest year first: a survey closes in its own year, which may not be the
  // year chosen for the self-assessment; the chosen year's wave is selected when it has one.
  const { fy } = chosen();
  const waves = (await ask(Q.SURVEY_WAVES, { fy: null })).surveyWaves
    .slice().sort((a, b) => b.fiscalYear - a.fiscalYear || String(b.closesOn).localeCompare(String(a.closesOn)));
  const closed = waves.filter((w) => w.status === "CLOSED");
  const open = waves.filter((w) => w.status !== "CLOSED");
  $("sv-wave").replaceChildren(...closed.map((w) => new Option(`${w.name} (FY${w.fiscalYear})`, w.id)));
  const inYear = closed.find((w) => w.fiscalYear === fy);
  if (inYear) $("sv-wave").value = inYear.id;
  $("sv-controls").hidden = !closed.length;
  const pending = open.map((w) => `${w.name} is open until ${w.closesOn}; its results come when it closes.`);
  if (!closed.length) {
    $("sv-results").hidden = true;
    say("sv-summary", ["No survey wave has closed yet.", ...pending].join(" "));
    return;
  }
  await loadSurvey();
}

async function loadSurvey() {
  const wave = $("sv-wave").value;
  const group = $("sv-group").value;
  const { provider } = chosen();
  const results = (await ask(Q.SURVEY_RESULTS, { wave, group, provider })).surveyResults;
  renderSurvey($("sv-results"), results, $("sv-group").selectedOptions[0].textContent);
  const withheld = results.groups.filter((g) => g.withheld).length;
  const total = results.total.withheld ? "results withheld (too few respondents)"
    : `${results.total.respondents} respondents`;
  say("sv-summary", `${results.wave.name}, ${providerName(provider)}: ${total}` +
    (withheld ? `; ${withheld} group${withheld === 1 ? "" : "s"} withheld to protect respondents.` : "."));
  $("sv-section").dataset.ready = "true";
}

/** What the reviewer's page uses of this session. */
function reviewContext() {
  return {
    ask, say, failed, providerName, directory, currentFiscalYear, lastClosedFiscalYear, viewer: session.viewer, qsmos: session.qsmos,
    async elementCatalog() {
      if (!session.catalog) session.catalog = (await ask(Q.ELEMENT_CATALOG)).selfAssessmentElements;
      return session.catalog;
    },
  };
}

/** What the performance reviews page uses of this session. */
function reviewsContext() {
  return {
    ask, say, failed, currentFiscalYear, viewer: session.viewer, qsmos: session.qsmos,
    api: session.api, key: session.key,
  };
}

// ------------------------------------------------------------------ wiring (once per page load)

function wire() {
  $("pages-nav").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-page]");
    if (button && session) showPage(button.dataset.page);
  });
  for (const id of ["tools-provider", "tools-fiscal-year"]) {
    $(id).addEventListener("change", () => refreshTools());
  }
  $("sa-save").addEventListener("click", () => saveAssessment(false).catch(failed("sa-message")));
  $("sa-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveAssessment(true).catch(failed("sa-message"));
  });
  $("dc-template").addEventListener("click", () => downloadTemplate().catch(failed("dc-message")));
  $("dc-upload-form").addEventListener("submit", (event) => {
    event.preventDefault();
    uploadWorkbook().catch(failed("dc-message"));
  });
  for (const id of ["sv-wave", "sv-group"]) {
    $(id).addEventListener("change", () => loadSurvey().catch(failed("sv-summary")));
  }
}

wire();
wireReview();
wireReviews();
