// Rendering of the performance reviews page: the reviews by state (upcoming, ready, held), one
// review opened (its packet and links, what changed since the previous review, decisions,
// deliveries, the Adjust loop's draft actions, activity) and the decision rows of the meeting
// form. Raw values stay in data-* attributes so tests and assistive tools read them exactly.
import { badge, element } from "./views.js";
import { when } from "./tools_views.js";

const STATE_WORDS = {
  DRAFT: "Upcoming (draft)", READY: "Ready: packet frozen and sent", HELD: "Held",
};
const PACKET_WORDS = {
  PENDING: "Packet waiting to be rendered", RENDERING: "Packet being rendered",
  DONE: "Packet ready", FAILED: "Packet failed",
};
export const FORMATS = [["pdf", "PDF"], ["xlsx", "Excel (XLSX)"], ["csv", "CSV"]];
const SCORE = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const VALUE = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

export function stateWords(state) {
  return STATE_WORDS[state] || state;
}

export function packetWords(packet) {
  const words = PACKET_WORDS[packet.status] || packet.status;
  if (packet.status === "DONE") return `${words} (version ${packet.version}, ${packet.pages} page${packet.pages === 1 ? "" : "s"})`;
  if (packet.status === "FAILED") return `${words}: ${packet.error || "no reason given"}`;
  return words;
}

function stateBadge(state) {
  return element("span", { class: `badge tool-status-${state}`, "data-state": state }, state);
}

function packetButtons(review) {
  if (review.packet.status !== "DONE") return element("span", { class: "help" }, packetWords(review.packet));
  return element("span", { class: "packet-links" }, ...FORMATS.map(([format, label]) => element("button", {
    type: "button", class: "link-button", "data-review": review.id, "data-format": format,
    "aria-label": `Download the ${label} packet of ${review.title}`,
  }, label)));
}

/** One table per state: `reviews` of that state, newest cut-off first. */
export function renderReviewTable(table, reviews, caption, scopeName) {
  table.replaceChildren(
    element("caption", {}, `${caption}: ${reviews.length ? reviews.length : "none"}`),
    element("thead", {}, element("tr", {},
      ...["Review", "Scope", "Quarter", "Meeting", "Cut-off", "Packet"].map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, ...reviews.map((r) => element("tr", {
      "data-review": r.id, "data-state": r.state, "data-packet": r.packet.status,
    },
    element("th", { scope: "row" }, element("button", {
      type: "button", class: "link-button", "data-open": r.id, "aria-label": `Open ${r.title}`,
    }, r.title)),
    element("td", {}, scopeName(r.qsmoId)), element("td", {}, `FY${r.fiscalYear} Q${r.quarter}`),
    element("td", {}, r.meetingDate), element("td", {}, when(r.cutOff)),
    element("td", {}, packetButtons(r))))));
}

function dl(pairs) {
  return element("dl", { class: "review-facts" }, ...pairs.flatMap(([term, value, id]) => [
    element("dt", {}, term), element("dd", id ? { id } : {}, value)]));
}

/** The opened review's facts: state, cut-off, meeting, participants, packet and its links. */
export function renderReviewFacts(container, review, scopeName) {
  const previous = review.previous ? `${review.previous.title} (cut-off ${when(review.previous.cutOff)})` : "none: the first review of this scope";
  container.replaceChildren(
    dl([
      ["State", element("span", {}, stateBadge(review.state), " ", stateWords(review.state)), "review-state"],
      ["Scope", scopeName(review.qsmoId)],
      ["Quarter", `FY${review.fiscalYear} Q${review.quarter}`],
      ["Cut-off", `${when(review.cutOff)} — the packet shows the scorecards as reported at this instant`, "review-cut-off"],
      ["Meeting", review.meetingDate],
      ["Participants", review.participants.join(", ") || "—"],
      ["Previous review", previous],
      ["Scorecard at the cut-off", review.scorecard
        ? element("span", {}, badge(review.scorecard.overallStatus), ` overall ${score(review.scorecard.overallScore)}`)
        : "no data at the cut-off"],
      ["Packet", element("span", { "data-status": review.packet.status }, packetWords(review.packet)), "review-packet-status"],
      ["Open the packet", packetButtons(review), "review-packet-links"],
    ]));
}

function score(value) {
  return value === null || value === undefined ? "—" : SCORE.format(value);
}

function number(value) {
  return value === null || value === undefined ? "—" : VALUE.format(value);
}

/** What changed since the previous review: overall, then each measure whose status or value moved. */
export function renderChanges(container, review, measureName) {
  const changes = review.changes;
  if (!changes) {
    container.replaceChildren(element("p", { class: "help" }, review.previous
      ? "Nothing changed since the previous review."
      : "The first review of this scope: nothing to compare with."));
    return;
  }
  const moved = changes.measures.filter((m) => m.oldStatus !== m.newStatus || m.oldValue !== m.newValue);
  const table = moved.length ? element("table", { class: "tool-table", id: "review-changes-table" },
    element("caption", {}, `${moved.length} measure${moved.length === 1 ? "" : "s"} changed since the previous review`),
    element("thead", {}, element("tr", {},
      ...["Measure", "Was", "Now", "Status", "Why"].map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, ...moved.map((m) => element("tr", { "data-measure": m.id, "data-causes": m.causes.join(" ") },
      element("th", { scope: "row" }, measureName(m.id)),
      element("td", { class: "number", "data-raw": m.oldValue ?? "" }, number(m.oldValue)),
      element("td", { class: "number", "data-raw": m.newValue ?? "" }, number(m.newValue)),
      element("td", {}, badge(m.oldStatus), " → ", badge(m.newStatus)),
      element("td", {}, m.causes.join(", ").toLowerCase() || "—")))))
    : element("p", { class: "help", id: "review-changes-none" }, "No measure's value or status changed since the previous review.");
  container.replaceChildren(
    element("p", {}, "Overall: ", badge(changes.oldOverallStatus), ` ${score(changes.oldOverallScore)} → `,
      badge(changes.newOverallStatus), ` ${score(changes.newOverallScore)}`,
      changes.causes.length ? ` (causes: ${changes.causes.join(", ").toLowerCase()})` : ""),
    table);
}

/** The decisions recorded at the meeting, and its notes. */
export function renderDecisions(list, notes, review) {
  list.replaceChildren(...review.decisions.map((d) => element("li", {},
    element("span", { class: "decision-text" }, d.text),
    d.owner ? ` — owner: ${d.owner}` : "", d.dueDate ? `, due ${d.dueDate}` : "")));
  if (!review.decisions.length) list.append(element("li", { class: "help" }, "No decisions recorded yet."));
  notes.textContent = review.notes ? `Notes: ${review.notes}` : "";
}

/** One decision row of the meeting form (`index`: its number, from 1), filled with `decision`
 * if given (amending a HELD review's record starts from what it holds). */
export function decisionRow(index, decision = null) {
  const field = (name, label, attributes) => {
    const id = `decision-${index}-${name}`;
    const input = element("input", { id, "data-field": name, ...attributes });
    input.value = (decision && decision[name]) || "";
    return element("div", { class: "control" }, element("label", { for: id }, `${label} ${index}`), input);
  };
  return element("div", { class: "decision-row", "data-index": index },
    field("text", "Decision", { type: "text", maxlength: 500, class: "decision-text-input" }),
    field("owner", "Owner of decision", { type: "text", maxlength: 200 }),
    field("dueDate", "Due date of decision", { type: "date" }));
}

/** The decision rows as ReviewDecisionInput (rows left empty are dropped). */
export function readDecisions(container) {
  return [...container.querySelectorAll(".decision-row")].map((row) => {
    const value = (name) => row.querySelector(`[data-field="${name}"]`).value.trim();
    return { text: value("text"), owner: value("owner") || null, dueDate: value("dueDate") || null };
  }).filter((d) => d.text || d.owner || d.dueDate);
}

/** Who took a step: a signed-in person's name (single sign-on), else the key id. */
function who(actor, person) {
  return person && person.name ? person.name : actor;
}

/** Where each email and webhook of a READY review went. */
export function renderDeliveries(table, deliveries) {
  table.replaceChildren(
    element("caption", {}, deliveries.length
      ? `${deliveries.length} deliver${deliveries.length === 1 ? "y" : "ies"} of the packet`
      : "No deliveries: the packet goes out when the review becomes READY"),
    element("thead", {}, element("tr", {},
      ...["Channel", "Recipient", "Status", "Attempts", "Last error"].map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, ...deliveries.map((d) => element("tr", { "data-delivery": d.id, "data-status": d.status },
      element("td", {}, String(d.channel).toLowerCase()), element("th", { scope: "row" }, d.recipient),
      element("td", {}, d.status), element("td", { class: "number" }, String(d.attempts)),
      element("td", {}, d.lastError || "—")))));
}

/** The improvement actions the Adjust loop drafted (origin other than a person), with why and
 * the review each is attached to (`reviewId`: the scope's next review when it was drafted). */
export function renderDraftActions(table, actions, measureName, scopeName, reviewId) {
  table.replaceChildren(
    element("caption", {}, actions.length
      ? `${actions.length} improvement action${actions.length === 1 ? "" : "s"} opened automatically`
      : "No improvement action opened automatically"),
    element("thead", {}, element("tr", {},
      ...["Action", "Scope", "Measure", "Owner", "Due", "Status", "Why", "Review"].map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, ...actions.map((a) => element("tr", { "data-action": a.id, "data-origin": a.origin, "data-status": a.status },
      element("th", { scope: "row" }, a.title), element("td", {}, scopeName(a.qsmoId)),
      element("td", {}, measureName(a.measureId)), element("td", {}, a.owner),
      element("td", {}, a.dueDate + (a.overdue ? " (overdue)" : "")), element("td", {}, a.status),
      element("td", {}, a.originReason || String(a.origin).toLowerCase()),
      element("td", {}, a.reviewId === reviewId ? "this review" : a.reviewId || "not attached yet")))));
}

/** The review's steps and automatic work, newest first. */
export function renderActivity(list, review) {
  const steps = review.history.map((h) => element("li", { "data-state": h.state },
    `${when(h.at)}: ${h.state} by ${who(h.by, h.person)}${h.note ? ` — ${h.note}` : ""}`));
  const entries = review.activity.nodes.map((a) => element("li", { "data-action": a.action },
    `${when(a.at)}: ${a.summary} (${who(a.actor, a.person)})`));
  list.replaceChildren(...steps.reverse(), ...entries);
}
