// The QSMO performance dashboard: sign in (single sign-on, sign_in.js, or a key), pick a fiscal year and phase, read the
// scorecard grid, drill into a cell's measures, follow notifications — live, without reload.
// The tier switcher shows a QSMO's providers, one provider, or what an agency receives.
// Provider, publisher and admin keys also get the provider tools' pages (tools.js).
import { ApiError, LiveConnection, endpoints, query } from "./graphql.js";
import { finishSignIn, loadConfig, startSignIn } from "./sign_in.js";
import {
  describeTier, providerName, providersOf, renderComparison, renderTierPath, rowHeader, settleTier,
  tierFromParams, tierParams, tierQuery, tierRows, tierVariables,
} from "./tiers.js";
import { startTools, stopTools } from "./tools.js";
import {
  GOVERNMENT, buildGrid, formatScore, pace, paintGovernmentCounts, paintRow, paintYearToDate,
  renderFeed, renderMeasures, statusText,
} from "./views.js";

const KEY_STORAGE = "qsmo-dashboard-key";
const FEED_SIZE = 100;
const REFRESH_DELAY_MS = 800;
const EXPIRED = "Your session expired — sign in again.";

const SETUP = `query DashboardSetup {
  viewer { keyId role qsmoId person { sub name issuer } }
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
const DIRECTORY = `query DashboardTiers {
  providers { id name kind qsmoIds services parentAgency retiredAt }
  agencies { id name }
}`;
const COMPARISON = `query DashboardComparison($qsmo: ID!, $fy: Int!) {
  providerComparison(qsmo: $qsmo, fiscalYear: $fy) {
    fiscalYear measures { id }
    rows { provider { id name kind retiredAt } customerAgencies overallScore overallStatus
      cost { costPerTransaction ftePerThousandCustomers }
      measures { measureId value target annualTarget targetSource status trend } } }
}`;
const NOTICE = `rule severity state qsmoId message raisedAt`;
const FEED = `query DashboardFeed { notifications(first: ${FEED_SIZE}) { nodes { id ${NOTICE} } } }`;
const FEED_LIVE = `subscription DashboardFeedLive { notificationRaised { notificationId ${NOTICE} } }`;
const SLICE_MEASURE = `id name unit value target annualTarget projectedValue lastYearValue changeFromLastYear
  baseline change attainment status active`;
const MEASURE = `${SLICE_MEASURE} qsmoStatusCounts { green amber red noData }
  dataQuality { eventCount restatedCount lastEventAt stale reportingFrequencyDays }
  latestCommentary { text author createdAt }
  openImprovementActions { id title owner dueDate status overdue }`;

const $ = (id) => document.getElementById(id);
const api = endpoints(window.location);
const params = new URLSearchParams(window.location.search);
const state = {
  signedIn: null, key: null, live: null, stopScorecards: null, setup: null, fiscalYear: null, phase: null,
  cards: new Map(), selection: null, notifications: [], refreshTimer: null, detailTimer: null,
  expandedGroups: new Set(), tier: tierFromParams(params), directory: null, rows: [],
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

function governmentTier() {
  return state.tier.level === "government" || !state.directory;
}

function rows() {
  return state.rows;
}

function rowOf(key) {
  return state.rows.find((row) => row.key === key);
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
  const whose = {
    qsmo: () => ` — ${state.rows[0].name.replace(/ — all providers$/, "")} and its providers`,
    provider: () => ` — ${state.rows[0].name}`,
    agency: () => ` — what ${state.tier.agency} receives from each QSMO`,
  }[state.tier.level];
  const tier = whose && !governmentTier() ? whose() : "";
  return `Scorecards for FY${state.fiscalYear}, phase ${phase.number} (${phase.name}, ${how})${tier}`;
}

// ------------------------------------------------------------------ grid

function drawGrid() {
  state.rows = tierRows(governmentTier() ? { level: "government" } : state.tier, state.setup.qsmos,
    state.directory);
  buildGrid($("grid"), {
    rows: rows(), dimensions: activeDimensions(), caption: caption(), open: yearIsOpen(),
    rowHeader: governmentTier() ? "QSMO" : rowHeader(state.tier),
  });
  for (const row of rows()) paintRow($("grid"), row.key, state.cards.get(row.key) || null);
  drawTier();
  paintSummaries();
}

function paintSummaries() {
  const sums = sumMeasureIds();
  for (const row of rows()) paintYearToDate($("grid"), row.key, state.cards.get(row.key) || null, sums);
  const government = rows().find((row) => row.government);
  if (government && (governmentTier() || state.tier.level === "agency")) {
    const others = rows().filter((row) => !row.government).map((row) => row.key);
    paintGovernmentCounts($("grid"), others, state.cards, government.key);
  }
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
  if (!governmentTier()) {
    await Promise.all([refreshTier(), refreshComparison()]);
    return;
  }
  const fiscalYear = state.fiscalYear;
  const phase = state.phase;
  const data = await query(api.http, state.key, GRID, { fy: fiscalYear, phase });
  if (fiscalYear !== state.fiscalYear || phase !== state.phase || !governmentTier()) return;
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

/** A tier below the QSMO: its rows' scorecards in one request (slices are computed on read). */
async function refreshTier() {
  const { fiscalYear, phase, tier } = state;
  const shown = state.rows;
  const data = await query(api.http, state.key, tierQuery(shown, CARD),
    tierVariables(shown, fiscalYear, phase));
  if (fiscalYear !== state.fiscalYear || phase !== state.phase || tier !== state.tier) return;
  shown.forEach((row, i) => {
    const card = data[`r${i}`];
    if (card) state.cards.set(row.key, card);
    else state.cards.delete(row.key);
    paintRow($("grid"), row.key, card || null);
  });
  paintSummaries();
  $("updated").textContent = `Updated ${new Date().toLocaleTimeString("en-US")}`;
  document.body.dataset.gridReady = "true";
}

/** The QSMO's providers side by side, in the QSMO and provider views. */
async function refreshComparison() {
  const { fiscalYear, tier } = state;
  if (tier.level !== "qsmo" && tier.level !== "provider") return;
  const data = await query(api.http, state.key, COMPARISON, { qsmo: tier.qsmo, fy: fiscalYear });
  if (fiscalYear !== state.fiscalYear || tier !== state.tier) return;
  const profiles = new Map(state.setup.framework.dimensions.flatMap((d) => d.measures.map((m) => [m.id, m])));
  const qsmoName = state.setup.qsmos.find((q) => q.id === tier.qsmo).name;
  renderComparison($("comparison"), data.providerComparison, { qsmoName, profiles });
  for (const line of document.querySelectorAll("#comparison tbody tr[data-provider]")) {
    const current = tier.level === "provider" && line.dataset.provider === tier.provider;
    line.classList.toggle("current", current);
    if (current) line.querySelector("button").setAttribute("aria-current", "page");
  }
  $("comparison-section").dataset.ready = "true";
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => refreshGrid().catch(reportError), REFRESH_DELAY_MS);
}

// ------------------------------------------------------------------ drill-down

function detailQuery(measureIds, slice) {
  const variables = measureIds.map((_, i) => `$m${i}: ID!`).join(", ");
  // A provider's or agency's slice: its own arguments, and no QSMO-level analysis fields.
  const sliceArgs = slice ? ", provider: $provider, agency: $agency" : "";
  const sliceVariables = slice ? ", $provider: ID, $agency: ID" : "";
  const series = measureIds.map((_, i) => `s${i}: measureSeries(measure: $m${i}, fiscalYear: $fy,
    qsmo: $qsmo${sliceArgs}) { measureId points { period { label } value target status } }`).join("\n");
  return `query DashboardDetail($fy: Int!, $qsmo: ID, $phase: Int${sliceVariables}, ${variables}) {
    scorecard(fiscalYear: $fy, qsmo: $qsmo, phase: $phase${sliceArgs}) {
      phase open elapsedShare overallScore overallStatus
      dimensions { id name score status measures { ${slice ? SLICE_MEASURE : MEASURE} } } }
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
  const row = rowOf(selection.row) || { args: {} };
  const qsmo = row.args.qsmo || null;
  const slice = Boolean(row.args.provider || row.args.agency);
  const variables = { fy: state.fiscalYear, qsmo, phase: state.phase };
  if (slice) Object.assign(variables, { provider: row.args.provider || null, agency: row.args.agency || null });
  ids.forEach((id, i) => { variables[`m${i}`] = id; });
  const data = await query(api.http, state.key, detailQuery(ids, slice), variables);
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
    profiles, series, open: card.open, governmentWide: qsmo === null && !slice, slice,
  });
  $("detail").dataset.ready = "true";
}

function scheduleDetailRefresh() {
  clearTimeout(state.detailTimer);
  state.detailTimer = setTimeout(() => refreshDetail().catch(reportError), REFRESH_DELAY_MS);
}

function closeDetail({ refocus = true } = {}) {
  const selection = state.selection;
  state.selection = null;
  markSelected(null);
  $("detail").hidden = true;
  delete $("detail").dataset.ready;
  if (selection && refocus) {
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
  if (status === "expired") {
    signOut(EXPIRED);
    return;
  }
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
      // Slices are computed on read, never announced: a QSMO's change re-reads the tier.
      if (governmentTier() && state.phase === null && event.scorecard) applyCard(event.scorecard, { live: true });
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

// ------------------------------------------------------------------ tiers

/** Read the providers and agencies; until then (or if the API has no tiers) only government-wide. */
async function loadDirectory() {
  state.directory = await query(api.http, state.key, DIRECTORY);
  state.tier = settleTier(state.tier, state.setup.qsmos, state.directory);
  fillTierControls();
  $("tier-controls").hidden = false;
  if (!governmentTier()) {
    state.cards.clear();
    drawGrid();
    await refreshGrid();
  }
}

function fillTierControls() {
  const { tier, directory } = state;
  $("tier").value = tier.level;
  const qsmos = $("tier-qsmo");
  qsmos.replaceChildren(...state.setup.qsmos.map((q) => new Option(q.name, q.id)));
  qsmos.value = tier.qsmo;
  const providers = providersOf(directory, tier.qsmo);
  $("tier-provider").replaceChildren(...providers.map((p) => new Option(providerName(p), p.id)));
  if (tier.provider) $("tier-provider").value = tier.provider;
  $("tier-agency").replaceChildren(...directory.agencies.map((a) =>
    new Option(a.name === a.id ? a.id : `${a.name} (${a.id})`, a.id)));
  if (tier.agency) $("tier-agency").value = tier.agency;
  $("tier-qsmo-control").hidden = !(tier.level === "qsmo" || tier.level === "provider");
  $("tier-provider-control").hidden = tier.level !== "provider";
  $("tier-agency-control").hidden = tier.level !== "agency";
}

/** The path, the sentence on what the view shows, and the comparison's place. */
function drawTier() {
  const below = !governmentTier();
  $("tier-path-nav").hidden = !below;
  $("tier-summary").hidden = !below;
  const comparing = below && (state.tier.level === "qsmo" || state.tier.level === "provider");
  $("comparison-section").hidden = !comparing;
  if (!comparing) delete $("comparison-section").dataset.ready;
  if (!below) return;
  const context = { qsmos: state.setup.qsmos, directory: state.directory, fiscalYear: state.fiscalYear };
  renderTierPath($("tier-path"), state.tier, context);
  $("tier-summary").textContent = describeTier(state.tier, context);
}

function showTier(wanted) {
  state.tier = settleTier({ ...state.tier, ...wanted }, state.setup.qsmos, state.directory);
  const url = new URL(window.location.href);
  for (const name of ["tier", "qsmo", "provider", "agency"]) url.searchParams.delete(name);
  for (const [name, value] of Object.entries(tierParams(state.tier))) url.searchParams.set(name, value);
  window.history.replaceState(null, "", url);
  fillTierControls();
  state.cards.clear();
  closeDetail({ refocus: false });
  delete document.body.dataset.gridReady;
  drawGrid();
  refreshGrid().catch(reportError);
  announce(`Showing ${$("grid").querySelector("caption").textContent}.`);
}

function tierControlChanged(event) {
  const wanted = {
    "tier": { level: $("tier").value },
    "tier-qsmo": { qsmo: $("tier-qsmo").value },
    "tier-provider": { provider: $("tier-provider").value },
    "tier-agency": { agency: $("tier-agency").value },
  }[event.target.id];
  showTier(wanted);
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
  if (error instanceof ApiError && error.code === "SESSION_EXPIRED") {
    signOut(EXPIRED);
    return;
  }
  if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
    signOut(state.signedIn ? EXPIRED : "The API no longer accepts this key; paste another one.");
    return;
  }
  showProblem(error.message || String(error));
}

/** Who is signed in, in words: the person's name (a token) or the key's id, and the role. */
function describeViewer(viewer) {
  const role = viewer.role.toLowerCase();
  const scope = viewer.qsmoId ? ` of ${viewer.qsmoId}` : "";
  if (!viewer.person) return `Signed in as ${viewer.keyId} (${role}${scope})`;
  return `Signed in as ${viewer.person.name || viewer.person.sub} (${role}${scope})`;
}

/** Show the dashboard for `key`: an API key, or a sign-in session (`TokenSession`). */
async function signIn(key, session = null) {
  $("key-error").textContent = "";
  $("sso-error").textContent = "";
  const credential = session ? session.credential : key;
  let setup;
  try {
    setup = await query(api.http, credential, SETUP);
  } catch (error) {
    if (session) {
      $("sso-error").textContent = error.code === "FORBIDDEN" || error.code === "UNAUTHENTICATED"
        ? `The platform refused your sign-in: ${error.message}` : error.message;
      return;
    }
    sessionStorage.removeItem(KEY_STORAGE);
    $("key-error").textContent = error.code === "UNAUTHENTICATED"
      ? "The API does not accept this key. Check that you pasted the whole key." : error.message;
    $("api-key").focus();
    return;
  }
  if (!session) sessionStorage.setItem(KEY_STORAGE, key);  // a token stays in memory only
  Object.assign(state, { key: credential, signedIn: session, setup });
  $("sign-in").hidden = true;
  $("dashboard").hidden = false;
  $("session").hidden = false;
  $("who").textContent = describeViewer(setup.viewer);
  $("who").title = setup.viewer.person ? `${setup.viewer.person.sub} at ${setup.viewer.person.issuer}` : "";
  $("forget-key").textContent = session ? "Sign out" : "Forget key";
  document.body.dataset.signedIn = session ? "token" : "key";
  fillControls();
  drawGrid();
  // Read at once (also without a websocket); each (re)subscription reads again to catch up.
  refreshGrid().catch(reportError);
  loadDirectory().catch(reportError);
  loadFeed().catch(reportError);
  state.live = new LiveConnection(api.ws, credential, setLiveStatus);
  state.live.start();
  subscribeScorecards();
  subscribeFeed();
  startTools({ api, key: credential, viewer: setup.viewer, qsmos: setup.qsmos, reportError });
  if (!$("dashboard").hidden) $("grid-title").focus();
}

function signOut(message) {
  if (state.key === null) return;  // already signed out (several requests may notice)
  const wasToken = Boolean(state.signedIn);
  sessionStorage.removeItem(KEY_STORAGE);
  if (state.live) state.live.close();
  if (state.signedIn) state.signedIn.forget();
  Object.assign(state, {
    key: null, signedIn: null, live: null, stopScorecards: null, selection: null, directory: null,
  });
  stopTools();
  $("tier-controls").hidden = true;
  state.cards.clear();
  $("dashboard").hidden = true;
  $("session").hidden = true;
  $("sign-in").hidden = false;
  document.body.dataset.live = "offline";
  delete document.body.dataset.gridReady;
  delete document.body.dataset.signedIn;
  $("api-key").value = "";
  if (wasToken) {
    $("sso-error").textContent = message || "";
    $("sso-buttons").querySelector("button").focus();
  } else {
    $("key-error").textContent = message || "";
    $("api-key").focus();
  }
}

function wire() {
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (key) signIn(key);
  });
  $("forget-key").addEventListener("click",
    () => signOut(state.signedIn ? "Signed out of the dashboard." : "Key forgotten."));
  $("fiscal-year").addEventListener("change", selectionChanged);
  $("phase").addEventListener("change", selectionChanged);
  for (const id of ["tier", "tier-qsmo", "tier-provider", "tier-agency"]) {
    $(id).addEventListener("change", tierControlChanged);
  }
  $("tier-path").addEventListener("click", (event) => {
    const step = event.target.closest("button[data-level]");
    if (step) showTier({ level: step.dataset.level });
  });
  $("comparison").addEventListener("click", (event) => {
    const choice = event.target.closest("button[data-provider]");
    if (choice) showTier({ level: "provider", provider: choice.dataset.provider });
  });
  $("grid").addEventListener("click", (event) => {
    const button = event.target.closest("button.cell");
    if (button) openDetail(button).catch(reportError);
    const opens = event.target.closest("button[data-opens]");
    if (opens) showTier({ level: opens.dataset.opens, provider: opens.dataset.provider });
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
  start().catch((error) => { $("sso-error").textContent = error.message; });
}

/** Offer the gateway's sign-in options; finish a sign-in coming back from a provider, or
 * resume with the key of this tab. */
async function start() {
  const config = await loadConfig();
  const options = config.signIn || [];
  $("sso-buttons").replaceChildren(...options.map((option) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = option.label;
    button.dataset.provider = option.provider;
    button.addEventListener("click", () => startSignIn(option).catch((error) => {
      $("sso-error").textContent = error.message;
    }));
    return button;
  }));
  $("sso").hidden = options.length === 0;
  let session = null;
  try {
    session = await finishSignIn(options);
  } catch (error) {
    $("sso").hidden = false;
    $("sso-error").textContent = error.message;
  }
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (session) await signIn(null, session);
  else if (saved) await signIn(saved);
  else if (options.length) $("sso-buttons").querySelector("button").focus();
  else $("api-key").focus();
  document.body.dataset.signInReady = "true";
}

wire();
