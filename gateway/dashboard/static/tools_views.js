// Rendering of the provider tools: the self-assessment form, the data call's versions and
// upload errors, the survey results (withheld groups show no figures) and the reviewer's list.
// Numbers keep their raw value in data-* attributes so tests and assistive tools read them exactly.
import { element } from "./views.js";

const STATUS_WORDS = {
  DRAFT: "Draft: not submitted yet", SUBMITTED: "Submitted: under review", ACCEPTED: "Accepted",
  RETURNED: "Returned: correct it and submit again", NOT_SUBMITTED: "Not submitted yet",
};
const USD = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
const WHEN = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const MEAN = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function statusWords(status) {
  return STATUS_WORDS[status] || status;
}

export function when(iso) {
  return iso ? `${WHEN.format(new Date(iso))} UTC` : "—";
}

export function mean(value) {
  return value === null || value === undefined ? "—" : MEAN.format(value);
}

function statusBadge(status) {
  return element("span", { class: `badge tool-status-${status}`, "data-status": status }, status);
}

/** The form: one fieldset per category, per element a rating (the catalog's scale) and its
 * evidence. `catalog`: selfAssessmentElements; `ratings`: the assessment's, if any. */
export function renderAssessmentForm(container, catalog, ratings, { editable }) {
  const given = new Map((ratings || []).map((r) => [r.elementId, r]));
  const scale = catalog.scaleLabels.map((s) => new Option(`${s.rating} — ${s.label}`, String(s.rating)));
  container.replaceChildren(...catalog.categories.map((category) =>
    element("fieldset", { class: "sa-category", "data-category": category.id },
      element("legend", {}, category.name),
      ...category.elements.map((item) => elementRow(item, given.get(item.id), editable, scale)))));
}

function elementRow(item, rating, editable, scale) {
  const select = element("select", {
    id: `rating-${item.id}`, "data-element": item.id, disabled: !editable,
    "aria-describedby": `definition-${item.id}`,
  }, new Option("Not rated", ""), ...scale.map((option) => option.cloneNode(true)));
  select.value = rating ? String(rating.rating) : "";
  const evidence = element("textarea", {
    id: `evidence-${item.id}`, "data-element": item.id, rows: 2, maxlength: 2000, disabled: !editable,
  });
  evidence.value = (rating && rating.evidence) || "";
  return element("div", { class: "sa-element", "data-element": item.id },
    element("h4", {}, item.name),
    element("p", { class: "help", id: `definition-${item.id}` }, item.definition),
    element("div", { class: "sa-inputs" },
      element("div", { class: "control" }, element("label", { for: select.id }, `Rating: ${item.name}`), select),
      element("div", { class: "control sa-evidence" },
        element("label", { for: evidence.id }, `Evidence: ${item.name}`), evidence)));
}

/** What the form holds, element by element (a rating left at "Not rated" is sent as none). */
export function readRatings(container) {
  return [...container.querySelectorAll("select[data-element]")].map((select) => {
    const evidence = container.querySelector(`textarea[data-element="${select.dataset.element}"]`);
    return {
      element: select.dataset.element,
      rating: select.value === "" ? null : Number(select.value),
      evidence: evidence.value.trim(),
    };
  });
}

/** One sentence on where the assessment stands, with the results once accepted. */
export function describeAssessment(assessment, fiscalYear) {
  if (!assessment) return `FY${fiscalYear}: nothing saved yet.`;
  const lines = [`FY${fiscalYear}: ${statusWords(assessment.status)}.`];
  if (assessment.status === "ACCEPTED" && assessment.overall !== null && assessment.overall !== undefined) {
    lines.push(`Overall ${mean(assessment.overall)} (${resultsText(assessment)}).`);
  }
  return lines.join(" ");
}

/** "Financial 4.00, Organizational 3.50, …": each category's mean rating. */
export function resultsText(assessment) {
  return assessment.categoryResults.filter((c) => c.result !== null)
    .map((c) => `${c.name} ${mean(c.result)}`).join(", ");
}

/** Where the data call stands: the latest version, its status and the accepted cost figures. */
export function describeDataCall(call, latest, fiscalYear) {
  if (!latest) return `FY${fiscalYear}: nothing submitted yet.`;
  const parts = [`FY${fiscalYear}: version ${latest.version} (${latest.source === "WORKBOOK" ? "workbook" : "GraphQL"}), ` +
    `${statusWords(latest.status).toLowerCase()}.`];
  const cost = call.cost;
  if (cost && call.acceptedVersion) {
    const perTransaction = cost.costPerTransaction === null ? "—" : USD.format(cost.costPerTransaction);
    const fte = cost.ftePerThousandCustomers === null ? "—" : mean(cost.ftePerThousandCustomers);
    parts.push(`Accepted version ${call.acceptedVersion}: ${perTransaction} per transaction, ${fte} FTE per 1,000 customers.`);
  }
  return parts.join(" ");
}

export function renderHistory(list, history) {
  list.replaceChildren(...(history || []).map((entry) => element("li", { "data-action": entry.action },
    `${when(entry.at)} — ${entry.action.toLowerCase()} by ${entry.by}`,
    entry.comments ? element("q", { class: "history-comments" }, entry.comments) : null)));
}

/** The latest reviewer comments of a returned (or accepted) submission, if any. */
export function renderComments(box, comments) {
  box.hidden = !comments;
  box.replaceChildren(...(comments ? [element("strong", {}, "Reviewer comments: "), comments] : []));
}

export function renderVersions(table, versions) {
  table.hidden = !versions || !versions.length;
  if (table.hidden) return;
  table.replaceChildren(
    element("caption", {}, "Versions submitted (the newest first)"),
    element("thead", {}, element("tr", {},
      ...["Version", "Status", "Submitted", "By", "Reason", "Reviewer comments"].map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, ...[...versions].reverse().map((v) => element("tr", { "data-version": v.version },
      element("th", { scope: "row" }, `v${v.version}`), element("td", {}, statusBadge(v.status)),
      element("td", {}, when(v.submittedAt)), element("td", {}, v.submittedBy || "—"),
      element("td", {}, v.reason || "—"), element("td", {}, (v.review && v.review.comments) || "—")))));
}

/** The workbook's problems, one line each: sheet, row, column, then what to do. */
export function renderUploadErrors(list, errors) {
  list.hidden = !errors || !errors.length;
  list.replaceChildren(...(errors || []).map((e) => {
    const where = [e.sheet && `sheet '${e.sheet}'`, e.row && `row ${e.row}`, e.column && `column ${e.column}`]
      .filter(Boolean).join(", ");
    return element("li", { "data-sheet": e.sheet || "", "data-row": e.row || "", "data-column": e.column || "" },
      where ? `${where}: ${e.message}` : e.message);
  }));
}

/** Survey results: per group its respondents, response rate and item means; a withheld group
 * says so and why, and shows no figures at all. */
export function renderSurvey(table, results, groupLabel) {
  const items = results.wave.items;
  table.hidden = false;
  const rows = [{ ...results.total, label: "All respondents", total: true }, ...results.groups];
  table.replaceChildren(
    element("caption", {}, `${results.wave.name}: results by ${groupLabel.toLowerCase()} (means on a 1–5 scale)`),
    element("thead", {}, element("tr", {},
      element("th", { scope: "col" }, groupLabel), element("th", { scope: "col" }, "Respondents"),
      element("th", { scope: "col" }, "Response rate"),
      ...items.map((i) => element("th", { scope: "col", "data-item": i.id }, i.overall ? `${i.text} (overall)` : i.text)))),
    element("tbody", {}, ...rows.map((group) => surveyRow(group, items))));
}

function surveyRow(group, items) {
  const line = element("tr", {
    "data-group": group.total ? "" : group.value, "data-withheld": String(Boolean(group.withheld)),
    class: group.total ? "total" : null,
  }, element("th", { scope: "row" }, group.label));
  if (group.withheld) {
    line.append(element("td", { colspan: items.length + 2, class: "withheld" },
      element("strong", {}, "Withheld"), ` — ${group.withheldReason || "fewer than 5 respondents"}`));
    return line;
  }
  const means = new Map((group.itemMeans || []).map((i) => [i.itemId, i.mean]));
  const rate = group.responseRate;
  line.append(element("td", { class: "number", "data-raw": group.respondents }, String(group.respondents)));
  line.append(element("td", { class: "number", "data-raw": rate ?? "" },
    rate === null || rate === undefined ? "—" : `${Math.round(rate * 1000) / 10}%`));
  for (const item of items) {
    const value = means.get(item.id);
    line.append(element("td", { class: "number", "data-item": item.id, "data-raw": value ?? "" }, mean(value)));
  }
  return line;
}

/** The reviewer's queue: one row per submission, each with a button that opens it. */
export function renderReviewList(table, submissions, providerName) {
  table.replaceChildren(
    element("caption", {}, submissions.length
      ? `${submissions.length} submission${submissions.length === 1 ? "" : "s"} waiting for a review`
      : "Nothing waiting for a review"),
    element("thead", {}, element("tr", {},
      ...["Submission", "Provider", "Fiscal year", "Submitted", "By"].map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, ...submissions.map((s) => element("tr", { "data-kind": s.kind, "data-id": s.id },
      element("th", { scope: "row" }, element("button", {
        type: "button", class: "link-button", "data-kind": s.kind, "data-id": s.id,
        "aria-label": `Review the ${s.label.toLowerCase()} of ${providerName(s.provider)}, FY${s.fiscalYear}`,
      }, s.label)),
      element("td", {}, providerName(s.provider)), element("td", {}, `FY${s.fiscalYear}`),
      element("td", {}, when(s.submittedAt)), element("td", {}, s.submittedBy || "—")))));
}

/** A self-assessment as the reviewer reads it: results, then each element's rating and evidence. */
export function renderAssessmentReview(body, assessment, catalog) {
  const elements = new Map(catalog.categories.flatMap((c) => c.elements.map((e) => [e.id, { ...e, category: c.name }])));
  body.replaceChildren(
    element("p", { class: "tool-status" }, `Overall ${mean(assessment.overall)}: ${resultsText(assessment)}.`),
    element("table", { class: "tool-table" },
      element("caption", {}, "Ratings and evidence"),
      element("thead", {}, element("tr", {},
        ...["Category", "Element", "Rating", "Evidence"].map((h) => element("th", { scope: "col" }, h)))),
      element("tbody", {}, ...assessment.ratings.map((r) => {
        const known = elements.get(r.elementId) || { name: r.elementId, category: r.categoryId };
        return element("tr", { "data-element": r.elementId },
          element("td", {}, known.category), element("th", { scope: "row" }, known.name),
          element("td", { class: "number", "data-raw": r.rating }, String(r.rating)),
          element("td", {}, r.evidence || "—"));
      }))));
}

/** A data call as the reviewer reads it: each section's fields or rows. */
export function renderDataCallReview(body, dataCall) {
  const latest = dataCall.versions[dataCall.versions.length - 1];
  const sections = latest.sections || {};
  const changes = (latest.changes || []).map((c) => c.description);
  body.replaceChildren(
    element("p", { class: "tool-status" }, `Version ${latest.version}` +
      (latest.reason ? ` — correction: ${latest.reason}` : "") + "."),
    changes.length ? element("ul", { class: "changes", "aria-label": "Changes since the version before" },
      ...changes.map((c) => element("li", {}, c))) : null,
    ...Object.entries(sections).map(([name, content]) => sectionTable(name, content)));
}

function sectionTable(name, content) {
  const rows = Array.isArray(content) ? content : (content && content.rows) || [content];
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r || {})))];
  return element("table", { class: "tool-table", "data-section": name },
    element("caption", {}, name),
    element("thead", {}, element("tr", {}, ...columns.map((c) => element("th", { scope: "col" }, c)))),
    element("tbody", {}, ...rows.map((r) => element("tr", {},
      ...columns.map((c) => element("td", {}, Array.isArray(r[c]) ? r[c].join(", ") : String(r[c] ?? "—")))))));
}

/** A QSMO's providers side by side: accepted results per category and overall; the others
 * their status only (never a figure of an assessment that was not accepted). */
export function renderAssessmentComparison(table, comparison, providerName) {
  const categories = comparison.categories;
  table.replaceChildren(
    element("caption", {}, `Self-assessment results, FY${comparison.fiscalYear} (means on the 1–5 scale)`),
    element("thead", {}, element("tr", {},
      ...["Provider", "Status", ...categories.map((c) => c.name), "Overall"].map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, ...comparison.rows.map((row) => {
      const results = new Map(row.categoryResults.map((c) => [c.categoryId, c.result]));
      const accepted = row.status === "ACCEPTED";
      return element("tr", { "data-provider": row.providerId, "data-status": row.status || "NONE" },
        element("th", { scope: "row" }, providerName(row.providerId)),
        element("td", {}, row.status ? statusBadge(row.status) : "Not started"),
        ...categories.map((c) => element("td", { class: "number", "data-category": c.id,
          "data-raw": accepted ? results.get(c.id) ?? "" : "" }, accepted ? mean(results.get(c.id)) : "—")),
        element("td", { class: "number overall", "data-raw": accepted ? row.overall ?? "" : "" },
          accepted ? mean(row.overall) : "—"));
    })));
}
