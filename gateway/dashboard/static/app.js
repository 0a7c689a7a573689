// The QSMO performance dashboard: sign in with a key, pick a fiscal year and phase, read the
// scorecard grid, drill into a cell's measures, follow notifications — live, without reload.
import { ApiError, LiveConnection, endpoints, query } from "./graphql.js";
import {
  GOVERNMENT, buildGrid, formatScore, pace, paintGovernmentCounts, paintRow, paintYearToDate,
  renderFeed, renderMeasures, statusText,
} from "./views.js";

const KEY_STORAGE = "qsmo-dashboard-key";
const FEED_SIZE = 100;
const REFRESH_DELAY_MS = 800;

const SETUP = `query DashboardSetup {
  viewer { keyId role qsmoId }
  framework { version phases { number name fiscalYear }
    dimensions { id name active measures { id name direction unit aggregation } } }
  qsmos { id name }
}`;
const CARD = `qsmoId version phase open elapsedShare referenceTime overallScore overallStatus
  dimensions { id score status } measures { id value status active }`;
const GRID = `query DashboardGrid($fy: Int!, $phase: Int) {
  scorecards(fiscalYear: $fy, phase: $phase, includeGovernmentWide: true) { ${CARD} }
}`;
const LIVE = `subscription DashboardLive($fy: Int) {
  scorecardChanged(fiscalYear: $fy) { qsmoId version scorecard { ${CARD} } }
}`;
const NOTICE = `rule severity state qsmoId message raisedAt`;
const FEED = `query DashboardFeed { notifications(first: ${FEED_SIZE}) { nodes { id ${NOTICE} } } }`;
const FEED_LIVE = `subscription DashboardFeedLive { notificationRaised { notificationId ${NOTICE} } }`;
const MEASURE = `id name unit value target annualTarget projectedValue lastYearValue changeFromLastYear
  baseline change attainment status active qsmoStatusCounts { green amber red noData }
  dataQuality { eventCount restatedCount lastEventAt stale reportingFrequencyDays }
  latestCommentary { text author createdAt }
  openImprovementActions { id title owner dueDate status overdue }`;

const $ = (id) => document.getElementById(id);
const api = endpoints(window.location);
const params = new URLSearchParams(window.location.search);
const state = {
  key: null, live: null, stopScorecards: null, setup: null, fiscalYear: null, phase: null,
  cards: new Map(), selection: null, notifications: [], refreshTimer: null, detailTimer: null,
  expandedGroups: new Set(),
};

function currentFiscalYear(now = new Date()) {
  return now.getUTCMonth() >= 9 ? now.getUTCFullYear() + 1 : now.getUTCFullYear();
}

/** Whether the chosen year is the open one (the fiscal year containing today, UTC). */
function yearIsOpen() {
  return state.fiscalYear === currentFiscalYear();
}

function sumMeasureIds() {
  return new Set(state.setup.framework.dimensions.flatMap((d) => d.measures)
    .filter((m) => m.aggregation === "SUM").map((m) => m.id));
}

/** One sentence on how the year is judged: open (expected by today) or closed (whole year). */
function describeYear(card) {
  const year = `FY${state.fiscalYear}`;
  if (!yearIsOpen()) {
    return `${year} is closed: every measure is judged against its whole annual target.`;
  }
  const share = card ? card.elapsedShare : null;
  const elapsed = share === null ? "" : ` (${Math.round(share * 100)}% of the year has passed)`;
  return `${year} is the open year${elapsed}. Sum measures — engagements, adoptions, savings — ` +
    "are judged against the target expected by today, not the whole year's target; " +
    "“on track” means at or above that target.";
}

function announce(text) {
  $("announcer").textContent = text;
}

function showProblem(text) {
  $("problem").textContent = text || "";
}

function rowKey(qsmoId) {
  return qsmoId || GOVERNMENT;
}

function rows() {
  return [...state.setup.qsmos.map((q) => ({ key: q.id, name: q.name })),
    { key: GOVERNMENT, name: "Government-wide" }];
}

function activeDimensions() {
  return state.setup.framework.dimensions.filter((d) => d.active);
}

function phaseInForce(fiscalYear) {
  const begun = state.setup.framework.phases.filter((p) => p.fiscalYear <= fiscalYear);
  return begun.length ? begun[begun.length - 1] : state.setup.framework.phases[0];
}

function caption() {
  const phase = state.phase === null ? phaseInForce(state.fiscalYear)
    : state.setup.framework.phases.find((p) => p.number === state.phase);
  const how = state.phase === null ? "in force" : "chosen";
  return `Scorecards for FY${state.fiscalYear}, phase ${phase.number} (${phase.name}, ${how})`;
}

// ------------------------------------------------------------------ grid

function drawGrid() {
  buildGrid($("grid"), {
    rows: rows(), dimensions: activeDimensions(), caption: caption(), open: yearIsOpen(),
  });
  for (const row of rows()) paintRow($("grid"), row.key, state.cards.get(row.key) || null);
  paintSummaries();
}

function paintSummaries() {
  const sums = sumMeasureIds();
  for (const row of rows()) paintYearToDate($("grid"), row.key, state.cards.get(row.key) || null, sums);
  paintGovernmentCounts($("grid"), state.setup.qsmos.map((q) => q.id), state.cards);
  const any = [...state.cards.values()][0];
  $("year-status").textContent = describeYear(any || null);
  document.body.dataset.openYear = String(yearIsOpen());
  $("pace-legend").hidden = !yearIsOpen();
}

function applyCard(card, { live }) {
  const key = rowKey(card.qsmoId);
  const known = state.cards.get(key);
  if (known && known.version > card.version) return;
  state.cards.set(key, card);
  if (!document.querySelector(`#grid tr[data-row="${key}"]`)) return;
  for (const change of paintRow($("grid"), key, card)) {
    if (!live) continue;
    const { button, after } = change;
    button.classList.add("changed");
    announce(`${button.dataset.rowName}, ${button.dataset.colName} is now ${statusText(after)}.`);
  }
  paintSummaries();
  if (live && state.selection && state.selection.row === key) scheduleDetailRefresh();
}

async function refreshGrid() {
  const fiscalYear = state.fiscalYear;
  const phase = state.phase;
  const data = await query(api.http, state.key, GRID, { fy: fiscalYear, phase });
  if (fiscalYear !== state.fiscalYear || phase !== state.phase) return;
  const seen = new Set();
  for (const card of data.scorecards) {
    seen.add(rowKey(card.qsmoId));
    applyCard(card, { live: false });
  }
  for (const row of rows()) {
    if (!seen.has(row.key)) {
      state.cards.delete(row.key);
      paintRow($("grid"), row.key, null);
    }
  }
  paintSummaries();
  $("updated").textContent = `Updated ${new Date().toLocaleTimeString("en-US")}`;
  document.body.dataset.gridReady = "true";
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => refreshGrid().catch(reportError), REFRESH_DELAY_MS);
}

// ------------------------------------------------------------------ drill-down

function detailQuery(measureIds) {
  const variables = measureIds.map((_, i) => `$m${i}: ID!`).join(", ");
  const series = measureIds.map((_, i) => `s${i}: measureSeries(measure: $m${i}, fiscalYear: $fy,
    qsmo: $qsmo) { measureId points { period { label } value target status } }`).join("\n");
  return `query DashboardDetail($fy: Int!, $qsmo: ID, $phase: Int, ${variables}) {
    scorecard(fiscalYear: $fy, qsmo: $qsmo, phase: $phase) {
      phase open elapsedShare overallScore overallStatus
      dimensions { id name score status measures { ${MEASURE} } } }
    ${series} }`;
}

function markSelected(button) {
  for (const cell of document.querySelectorAll("#grid button.cell[aria-current]")) {
    cell.removeAttribute("aria-current");
  }
  if (button) button.setAttribute("aria-current", "true");
}

async function openDetail(button) {
  state.selection = { row: button.dataset.qsmo, dimension: button.dataset.dimension, button };
  markSelected(button);
  $("detail").hidden = false;
  $("detail-title").textContent = `${button.dataset.rowName} · ${button.dataset.colName} · FY${state.fiscalYear}`;
  $("detail-summary").textContent = "Loading the measures…";
  $("measures").replaceChildren();
  $("detail-title").focus({ preventScroll: true });
  $("detail").scrollIntoView({ block: "start" });
  await refreshDetail();
}

async function refreshDetail() {
  const selection = state.selection;
  if (!selection) return;
  const dimensions = selection.dimension === "overall" ? activeDimensions()
    : state.setup.framework.dimensions.filter((d) => d.id === selection.dimension);
  const ids = dimensions.flatMap((d) => d.measures.map((m) => m.id));
  const qsmo = selection.row === GOVERNMENT ? null : selection.row;
  const variables = { fy: state.fiscalYear, qsmo, phase: state.phase };
  ids.forEach((id, i) => { variables[`m${i}`] = id; });
  const data = await query(api.http, state.key, detailQuery(ids), variables);
  if (selection !== state.selection) return;
  const card = data.scorecard;
  if (!card) {
    $("detail-summary").textContent = "No data for this scorecard yet.";
    $("measures").replaceChildren();
    return;
  }
  const shown = card.dimensions.filter((d) => dimensions.some((w) => w.id === d.id));
  const measures = shown.flatMap((d) => d.measures);
  const score = selection.dimension === "overall"
    ? { score: card.overallScore, status: card.overallStatus } : shown[0];
  const profiles = new Map(state.setup.framework.dimensions.flatMap((d) => d.measures.map((m) => [m.id, m])));
  const sums = measures.filter((m) => card.open && m.active && profiles.get(m.id)?.aggregation === "SUM");
  const onTrack = sums.filter((m) => pace(m) === "ON_TRACK").length;
  const paceText = sums.length
    ? ` Open year, ${Math.round(card.elapsedShare * 100)}% elapsed: ${onTrack} of ${sums.length} sum ` +
      `measure${sums.length === 1 ? "" : "s"} on track against the target expected by today.`
    : "";
  $("detail-summary").textContent =
    `Score ${formatScore(score.score)} — ${statusText(score.status)} (phase ${card.phase}). ` +
    `${measures.filter((m) => m.active).length} of ${measures.length} measures count in this phase.${paceText}`;
  const series = new Map(ids.map((id, i) => [id, data[`s${i}`].points]));
  renderMeasures($("measures"), measures, {
    profiles, series, open: card.open, governmentWide: qsmo === null,
  });
  $("detail").dataset.ready = "true";
}

function scheduleDetailRefresh() {
  clearTimeout(state.detailTimer);
  state.detailTimer = setTimeout(() => refreshDetail().catch(reportError), REFRESH_DELAY_MS);
}

function closeDetail() {
  const selection = state.selection;
  state.selection = null;
  markSelected(null);
  $("detail").hidden = true;
  delete $("detail").dataset.ready;
  if (selection) {
    const again = document.querySelector(
      `#grid button[data-qsmo="${selection.row}"][data-dimension="${selection.dimension}"]`);
    (again || $("grid")).focus();
  }
}

function moveFocus(event) {
  const button = event.target.closest("button.cell");
  if (!button) return;
  const moves = { ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0] };
  let row = Number(button.dataset.rowIndex);
  let col = Number(button.dataset.colIndex);
  if (moves[event.key]) {
    row += moves[event.key][0];
    col += moves[event.key][1];
  } else if (event.key === "Home") col = 0;
  else if (event.key === "End") col = activeDimensions().length;
  else return;
  const target = document.querySelector(
    `#grid button[data-row-index="${row}"][data-col-index="${col}"]`);
  if (target) {
    event.preventDefault();
    target.focus();
  }
}

// ------------------------------------------------------------------ live updates and feed

function setLiveStatus(status) {
  const words = {
    connecting: "Live updates: connecting…", live: "Live updates: on",
    reconnecting: "Live updates: reconnecting…", unauthorized: "Live updates: key refused",
  };
  $("live-status").textContent = words[status] || status;
  if (status !== "live") document.body.dataset.live = status;
}

function subscribeScorecards() {
  if (state.stopScorecards) state.stopScorecards();
  const fiscalYear = state.fiscalYear;
  state.stopScorecards = state.live.subscribe(LIVE, { fy: fiscalYear }, {
    next: (payload) => {
      const event = payload.data && payload.data.scorecardChanged;
      if (!event || fiscalYear !== state.fiscalYear) return;
      if (state.phase === null && event.scorecard) applyCard(event.scorecard, { live: true });
      else scheduleRefresh();
    },
    // Subscriptions start at "now": read the state after each (re)subscription.
    active: () => refreshGrid().then(() => {
      if (fiscalYear === state.fiscalYear) document.body.dataset.live = "live";
    }).catch(reportError),
    ended: (errors) => showProblem(errors ? `Live updates stopped: ${errors[0].message}` : ""),
  });
}

function subscribeFeed() {
  state.live.subscribe(FEED_LIVE, {}, {
    next: (payload) => {
      const n = payload.data && payload.data.notificationRaised;
      if (!n) return;
      state.notifications = [{ ...n, id: `${n.notificationId}:${n.state}` }, ...state.notifications]
        .slice(0, FEED_SIZE);
      drawFeed();
    },
    active: () => loadFeed().catch(reportError),
    ended: () => {},
  });
}

async function loadFeed() {
  const data = await query(api.http, state.key, FEED);
  state.notifications = data.notifications.nodes;
  drawFeed();
}

function drawFeed() {
  renderFeed($("feed"), state.notifications, new Map(state.setup.qsmos.map((q) => [q.id, q.name])),
    state.expandedGroups);
  $("feed-summary").textContent = state.notifications.length
    ? `The ${state.notifications.length} newest notifications, grouped by QSMO and rule; the most recent group first. Open a group to read its notifications.`
    : "";
}

// ------------------------------------------------------------------ controls and sign-in

function fillControls() {
  const years = $("fiscal-year");
  years.replaceChildren();
  for (let year = currentFiscalYear(); year >= 2022; year -= 1) {
    years.append(new Option(`FY${year} (Oct ${year - 1} – Sep ${year})`, String(year)));
  }
  const wanted = Number(params.get("fy")) || currentFiscalYear();
  state.fiscalYear = Math.min(Math.max(wanted, 2022), currentFiscalYear());
  years.value = String(state.fiscalYear);
  const phases = $("phase");
  phases.replaceChildren(new Option("In force for the year", ""));
  for (const phase of state.setup.framework.phases) {
    phases.append(new Option(`Phase ${phase.number} — ${phase.name} (from FY${phase.fiscalYear})`,
      String(phase.number)));
  }
  const phase = params.get("phase");
  state.phase = phase && state.setup.framework.phases.some((p) => String(p.number) === phase)
    ? Number(phase) : null;
  phases.value = state.phase === null ? "" : String(state.phase);
}

function selectionChanged() {
  const fiscalYear = Number($("fiscal-year").value);
  const phase = $("phase").value === "" ? null : Number($("phase").value);
  const yearChanged = fiscalYear !== state.fiscalYear;
  state.fiscalYear = fiscalYear;
  state.phase = phase;
  state.cards.clear();
  closeDetail();
  drawGrid();
  refreshGrid().catch(reportError);
  if (yearChanged) subscribeScorecards();
}

function reportError(error) {
  if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
    signOut("The API no longer accepts this key; paste another one.");
    return;
  }
  showProblem(error.message || String(error));
}

async function signIn(key) {
  $("key-error").textContent = "";
  let setup;
  try {
    setup = await query(api.http, key, SETUP);
  } catch (error) {
    sessionStorage.removeItem(KEY_STORAGE);
    $("key-error").textContent = error.code === "UNAUTHENTICATED"
      ? "The API does not accept this key. Check that you pasted the whole key." : error.message;
    $("api-key").focus();
    return;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  Object.assign(state, { key, setup });
  $("sign-in").hidden = true;
  $("dashboard").hidden = false;
  $("session").hidden = false;
  $("who").textContent = `Signed in as ${setup.viewer.keyId} (${setup.viewer.role.toLowerCase()})`;
  fillControls();
  drawGrid();
  // Read at once (also without a websocket); each (re)subscription reads again to catch up.
  refreshGrid().catch(reportError);
  loadFeed().catch(reportError);
  state.live = new LiveConnection(api.ws, key, setLiveStatus);
  state.live.start();
  subscribeScorecards();
  subscribeFeed();
  $("grid-title").focus();
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  if (state.live) state.live.close();
  Object.assign(state, { key: null, live: null, stopScorecards: null, selection: null });
  state.cards.clear();
  $("dashboard").hidden = true;
  $("session").hidden = true;
  $("sign-in").hidden = false;
  document.body.dataset.live = "offline";
  delete document.body.dataset.gridReady;
  $("key-error").textContent = message || "";
  $("api-key").value = "";
  $("api-key").focus();
}

function wire() {
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (key) signIn(key);
  });
  $("forget-key").addEventListener("click", () => signOut("Key forgotten."));
  $("fiscal-year").addEventListener("change", selectionChanged);
  $("phase").addEventListener("change", selectionChanged);
  $("grid").addEventListener("click", (event) => {
    const button = event.target.closest("button.cell");
    if (button) openDetail(button).catch(reportError);
  });
  $("grid").addEventListener("keydown", moveFocus);
  $("grid").addEventListener("animationend", (event) => event.target.classList.remove("changed"));
  $("detail-close").addEventListener("click", closeDetail);
  // Escape closes the drill-down from the drill-down itself or from the grid.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || $("detail").hidden || event.defaultPrevented) return;
    if (event.target.closest && event.target.closest("#detail, #grid")) closeDetail();
  });
  $("grid-title").setAttribute("tabindex", "-1");
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) signIn(saved);
  else $("api-key").focus();
}

wire();
