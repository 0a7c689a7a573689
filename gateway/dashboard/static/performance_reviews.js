// The performance reviews page (`?page=reviews`, `&review=<id>` opens one): the quarterly
// data-driven reviews of each QSMO and the government-wide one — upcoming (DRAFT), READY and
// HELD — with their packets (PDF, XLSX, CSV, fetched with the signed-in key), what changed since
// the previous review, where the packet was sent and the draft actions the Adjust loop opened.
// An admin, or a QSMO's publisher for its QSMO, creates a review, makes it READY (which freezes
// its cut-off and packet and sends it) and records the meeting's decisions (HELD).
import { authorization } from "./graphql.js";
import * as Q from "./performance_reviews_queries.js";
import {
  decisionRow, FORMATS, readDecisions, renderActivity, renderChanges, renderDecisions,
  renderDeliveries, renderDraftActions, renderReviewFacts, renderReviewTable,
} from "./performance_reviews_views.js";
import { when } from "./tools_views.js";

const $ = (id) => document.getElementById(id);
const TABLES = [["DRAFT", "reviews-upcoming", "Upcoming reviews (draft)"],
  ["READY", "reviews-ready", "Ready reviews"], ["HELD", "reviews-held", "Held reviews"]];
const POLL_MS = 1500;
let page = null;
let opened = null;
let polling = null;

function today(now = new Date()) {
  return now.toISOString().slice(0, 10);
}

/** The latest fiscal quarter that has ended by `now` (federal year: Q1 is October–December). */
export function lastEndedQuarter(now = new Date()) {
  const month = now.getUTCMonth();
  const fiscalYear = month >= 9 ? now.getUTCFullYear() + 1 : now.getUTCFullYear();
  const current = Math.floor(((month + 3) % 12) / 3) + 1;
  return current === 1 ? { fiscalYear: fiscalYear - 1, quarter: 4 } : { fiscalYear, quarter: current - 1 };
}

function scopeName(qsmoId) {
  if (!qsmoId) return "Government-wide";
  const found = page.qsmos.find((q) => q.id === qsmoId);
  return found ? found.name : qsmoId;
}

function measureName(id) {
  return (page.measures && page.measures.get(id)) || id;
}

/** Whether the signed-in key may create, ready and hold reviews of `qsmoId` (null: government-wide). */
function mayManage(qsmoId) {
  const { role, qsmoId: own } = page.viewer;
  return role === "ADMIN" || (role === "PUBLISHER" && Boolean(qsmoId) && qsmoId === own);
}

/** Open the page for a signed-in key (`context`: what it uses of the session). */
export async function openReviews(context) {
  page = context;
  const scope = $("reviews-scope");
  scope.replaceChildren(new Option("Every scope", ""), new Option("Government-wide", "government"),
    ...page.qsmos.map((q) => new Option(q.name, q.id)));
  const params = new URLSearchParams(window.location.search);
  const wanted = params.get("scope");
  if (wanted !== null && [...scope.options].some((o) => o.value === wanted)) scope.value = wanted;
  const years = $("reviews-fy");
  years.replaceChildren(new Option("Every year", ""));
  for (let year = page.currentFiscalYear(); year >= 2022; year -= 1) years.append(new Option(`FY${year}`, String(year)));
  prepareCreateForm();
  const framework = await page.ask(Q.MEASURE_NAMES);
  page.measures = new Map(framework.framework.dimensions.flatMap((d) => d.measures.map((m) => [m.id, m.name])));
  await loadReviews();
  $("reviews").dataset.ready = "true";
  if (params.get("review")) await openReview(params.get("review"));
}

function prepareCreateForm() {
  const { role, qsmoId: own } = page.viewer;
  const manages = role === "ADMIN" || role === "PUBLISHER";
  $("reviews-create-section").hidden = !manages;
  if (!manages) return;
  const scopes = role === "ADMIN"
    ? [new Option("Government-wide", ""), ...page.qsmos.map((q) => new Option(q.name, q.id))]
    : page.qsmos.filter((q) => q.id === own).map((q) => new Option(q.name, q.id));
  $("create-scope").replaceChildren(...scopes);
  const years = $("create-fy");
  years.replaceChildren();
  for (let year = page.currentFiscalYear(); year >= 2022; year -= 1) years.append(new Option(`FY${year}`, String(year)));
  const last = lastEndedQuarter();
  years.value = String(last.fiscalYear);
  $("create-quarter").value = String(last.quarter);
  const meeting = new Date(Date.now() + 14 * 86400000);
  $("create-meeting").value = today(meeting);
}

function filters() {
  const scope = $("reviews-scope").value;
  const fy = $("reviews-fy").value;
  return {
    qsmo: scope && scope !== "government" ? scope : null,
    governmentWide: scope === "government" ? true : null,
    fy: fy ? Number(fy) : null,
    state: null,
  };
}

async function loadReviews() {
  page.say("reviews-problem", "");
  const reviews = (await page.ask(Q.REVIEWS, filters())).reviews.nodes;
  for (const [state, id, caption] of TABLES) {
    renderReviewTable($(id), reviews.filter((r) => r.state === state), caption, scopeName);
  }
  $("reviews-lists").dataset.count = String(reviews.length);
  return reviews;
}

async function createReview() {
  const participants = $("create-participants").value.split(/[\n,;]/).map((p) => p.trim()).filter(Boolean);
  const variables = {
    fy: Number($("create-fy").value), quarter: Number($("create-quarter").value),
    qsmo: $("create-scope").value || null, meetingDate: $("create-meeting").value, participants,
  };
  page.say("create-message", "Creating the review…");
  const created = (await page.ask(Q.CREATE, variables)).createReview;
  $("reviews-create-form").reset();
  prepareCreateForm();
  await loadReviews();
  page.say("create-message", `Created ${created.id} as ${created.state}: its draft packet is being rendered.`);
  await openReview(created.id);
}

/** Open one review: its facts and packet, then what other parts add (each on its own). */
async function openReview(id) {
  const review = (await page.ask(Q.REVIEW, { id })).review;
  if (!review) {
    page.say("reviews-problem", `There is no review ${id}.`, { problem: true });
    return;
  }
  const first = !opened || opened.id !== id;
  opened = review;
  const detail = $("review-detail-panel");
  detail.hidden = false;
  detail.dataset.review = review.id;
  detail.dataset.state = review.state;
  detail.dataset.packet = review.packet.status;
  $("performance-review-title").textContent = review.title;
  renderReviewFacts($("review-facts"), review, scopeName);
  renderChanges($("review-changes"), review, measureName);
  renderDecisions($("review-decisions"), $("review-notes"), review);
  renderActivity($("review-activity"), review);
  const manages = mayManage(review.qsmoId);
  $("review-make-ready").hidden = !(manages && review.state === "DRAFT");
  $("review-rerender").hidden = !(manages && (review.state === "DRAFT" || review.packet.status === "FAILED"));
  $("review-meeting-form").hidden = !(manages && (review.state === "READY" || review.state === "HELD"));
  if (first) {
    resetMeetingForm(review);
    page.say("review-action-message", "");
    const url = new URL(window.location.href);
    url.searchParams.set("review", review.id);
    window.history.replaceState(null, "", url);
    $("performance-review-title").focus();
  }
  await Promise.all([loadDeliveries(review), loadDraftActions(review)]);
  detail.dataset.loaded = `${review.id}:${review.state}:${review.packet.status}`;
  schedulePoll(review);
}

function resetMeetingForm(review) {
  const rows = $("decision-rows");
  const held = review.state === "HELD" && review.decisions.length ? review.decisions : [null];
  rows.replaceChildren(...held.map((decision, index) => decisionRow(index + 1, decision)));
  $("meeting-notes").value = review.notes || "";
  $("meeting-submit").textContent = review.state === "HELD" ? "Amend the meeting record" : "Record the meeting (HELD)";
}

async function loadDeliveries(review) {
  const table = $("review-deliveries");
  try {
    const deliveries = (await page.ask(Q.DELIVERIES, { id: review.id })).reviewDeliveries.nodes;
    renderDeliveries(table, deliveries);
    page.say("review-deliveries-message", "");
  } catch (error) {
    table.replaceChildren();
    page.say("review-deliveries-message", `The deliveries cannot be read: ${error.message}`);
  }
}

async function loadDraftActions(review) {
  const table = $("review-draft-actions");
  try {
    const actions = (await page.ask(Q.DRAFT_ACTIONS, { qsmo: review.qsmoId })).improvementActions.nodes;
    const automatic = actions.filter((a) => a.origin && String(a.origin).toLowerCase() !== "person");
    renderDraftActions(table, automatic, measureName, scopeName, review.id);
    page.say("review-actions-message", "");
  } catch (error) {
    table.replaceChildren();
    page.say("review-actions-message", `The automatic actions cannot be read: ${error.message}`);
  }
}

/** While the packet is being rendered, look again (the worker renders off the request path). */
function schedulePoll(review) {
  clearTimeout(polling);
  if (review.packet.status !== "PENDING" && review.packet.status !== "RENDERING") return;
  polling = setTimeout(() => {
    if (!opened || opened.id !== review.id || $("reviews").hidden) return;
    Promise.all([openReview(review.id), loadReviews()]).catch(page.failed("reviews-problem"));
  }, POLL_MS);
}

async function makeReady() {
  const id = opened.id;
  page.say("review-action-message", "Making the review READY…");
  const ready = (await page.ask(Q.MAKE_READY, { id })).makeReviewReady;
  await Promise.all([openReview(id), loadReviews()]);
  page.say("review-action-message", `READY with cut-off ${when(ready.cutOff)}: the frozen packet is rendered, then sent to the stakeholders.`);
}

async function rerender() {
  const id = opened.id;
  await page.ask(Q.RERENDER, { id });
  await Promise.all([openReview(id), loadReviews()]);
  page.say("review-action-message", "The packet is being rendered again.");
}

async function recordMeeting() {
  const id = opened.id;
  const decisions = readDecisions($("decision-rows"));
  const missing = decisions.findIndex((d) => !d.text);
  if (missing >= 0) {
    page.say("review-action-message", `Decision ${missing + 1} has an owner or a due date but no text: write the decision.`, { problem: true });
    return;
  }
  const notes = $("meeting-notes").value.trim() || null;
  await page.ask(Q.RECORD_MEETING, { id, decisions, notes });
  await Promise.all([openReview(id), loadReviews()]);
  resetMeetingForm(opened);
  page.say("review-action-message", `Meeting recorded: ${decisions.length} decision${decisions.length === 1 ? "" : "s"}; the review is HELD.`);
}

/** Fetch a packet with the signed-in key and hand it to the browser as a download. */
async function download(reviewId, format, button) {
  const response = await fetch(Q.packetPath(page.api.http, reviewId, format), { headers: { Authorization: await authorization(page.key) } });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new Error((body && body.error && body.error.message) || `The packet answered HTTP ${response.status}.`);
  }
  const blob = await response.blob();
  const link = $("review-packet-download");
  URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = `${reviewId.replace(/[^A-Za-z0-9-]+/g, "_")}.${format}`;
  link.click();
  button.dataset.bytes = String(blob.size);
  const label = FORMATS.find(([f]) => f === format)[1];
  page.say("reviews-download-message", `${label} packet of ${reviewId} downloaded (${Math.max(1, Math.round(blob.size / 1024))} KB).`);
}

/** The page's controls (once per page load). */
export function wireReviews() {
  const failed = (id) => (error) => page.failed(id)(error);
  for (const id of ["reviews-scope", "reviews-fy"]) {
    $(id).addEventListener("change", () => loadReviews().catch(failed("reviews-problem")));
  }
  $("reviews-page").addEventListener("click", (event) => {
    const open = event.target.closest("button[data-open]");
    if (open) openReview(open.dataset.open).catch(failed("reviews-problem"));
    const packet = event.target.closest("button[data-format]");
    if (packet) download(packet.dataset.review, packet.dataset.format, packet).catch(failed("reviews-download-message"));
  });
  $("reviews-create-form").addEventListener("submit", (event) => {
    event.preventDefault();
    createReview().catch(failed("create-message"));
  });
  $("review-make-ready").addEventListener("click", () => makeReady().catch(failed("review-action-message")));
  $("review-rerender").addEventListener("click", () => rerender().catch(failed("review-action-message")));
  $("decision-add").addEventListener("click", () => {
    const rows = $("decision-rows");
    const row = decisionRow(rows.children.length + 1);
    rows.append(row);
    row.querySelector("input").focus();
  });
  $("review-meeting-form").addEventListener("submit", (event) => {
    event.preventDefault();
    recordMeeting().catch(failed("review-action-message"));
  });
  $("review-detail-close").addEventListener("click", () => {
    clearTimeout(polling);
    opened = null;
    $("review-detail-panel").hidden = true;
    const url = new URL(window.location.href);
    url.searchParams.delete("review");
    window.history.replaceState(null, "", url);
  });
}

/** Forget the session's page (sign-out). */
export function closeReviews() {
  clearTimeout(polling);
  page = null;
  opened = null;
  $("review-detail-panel").hidden = true;
  delete $("reviews").dataset.ready;
}
