// The tiers below the QSMO (FRAMEWORK.md rev. 2): which scorecards each view shows, the path
// back up, and the providers' side-by-side comparison. Government-wide → a QSMO and its
// providers → one provider; and a customer agency: what it receives from each QSMO.
import { GOVERNMENT, badge, element, formatScore, formatValue } from "./views.js";

export const TIERS = ["government", "qsmo", "provider", "agency"];

/** What `?tier=…&qsmo=…&provider=…&agency=…` asks for (unknown values fall back). */
export function tierFromParams(params) {
  const level = TIERS.includes(params.get("tier")) ? params.get("tier") : "government";
  return {
    level, qsmo: params.get("qsmo"), provider: params.get("provider"), agency: params.get("agency"),
  };
}

/** The same tier as URL parameters (nothing for the government-wide view). */
export function tierParams(tier) {
  if (tier.level === "government") return {};
  const wanted = { tier: tier.level };
  if (tier.level === "qsmo" || tier.level === "provider") wanted.qsmo = tier.qsmo;
  if (tier.level === "provider") wanted.provider = tier.provider;
  if (tier.level === "agency") wanted.agency = tier.agency;
  return wanted;
}

/** The providers offered on `qsmo`'s marketplace, in the order the API lists them. */
export function providersOf(directory, qsmo) {
  return directory.providers.filter((p) => p.qsmoIds.includes(qsmo));
}

export function providerName(provider) {
  return provider.retiredAt ? `${provider.name} (retired)` : provider.name;
}

/**
 * The tier with every choice filled in: a QSMO (the first if none or unknown), a provider of
 * that QSMO, an agency (DOI when known, else the first).
 */
export function settleTier(tier, qsmos, directory) {
  const qsmo = qsmos.some((q) => q.id === tier.qsmo) ? tier.qsmo : qsmos[0].id;
  const offered = providersOf(directory, qsmo);
  const provider = offered.some((p) => p.id === tier.provider) ? tier.provider
    : (offered[0] ? offered[0].id : null);
  const agencies = directory.agencies;
  const fallback = agencies.some((a) => a.id === "DOI") ? "DOI" : (agencies[0] ? agencies[0].id : null);
  const agency = agencies.some((a) => a.id === tier.agency) ? tier.agency : fallback;
  const level = tier.level === "provider" && !provider ? "qsmo" : tier.level;
  return { level, qsmo, provider, agency };
}

/**
 * The grid's rows for a tier: `{ key, name, args: { qsmo, provider, agency }, government }`.
 * Government-wide: each QSMO, then government-wide. A QSMO: the QSMO, then each provider's
 * slice. A provider: its slice, then its whole QSMO for comparison. An agency: each QSMO's
 * slice of the agency's events, then government-wide for the agency.
 */
export function tierRows(tier, qsmos, directory) {
  const qsmoName = (id) => (qsmos.find((q) => q.id === id) || { name: id }).name;
  if (tier.level === "qsmo") {
    return [
      { key: `qsmo:${tier.qsmo}`, name: `${qsmoName(tier.qsmo)} — all providers`, args: { qsmo: tier.qsmo } },
      ...providersOf(directory, tier.qsmo).map((p) => ({
        key: `provider:${p.id}`, name: providerName(p), provider: p,
        args: { qsmo: tier.qsmo, provider: p.id }, opens: { level: "provider", provider: p.id },
      })),
    ];
  }
  if (tier.level === "provider") {
    const provider = directory.providers.find((p) => p.id === tier.provider);
    return [
      { key: `provider:${tier.provider}`, name: providerName(provider), provider,
        args: { qsmo: tier.qsmo, provider: tier.provider } },
      { key: `qsmo:${tier.qsmo}`, name: `${qsmoName(tier.qsmo)} — all providers`, args: { qsmo: tier.qsmo } },
    ];
  }
  if (tier.level === "agency") {
    return [
      ...qsmos.map((q) => ({
        key: `agency:${q.id}:${tier.agency}`, name: q.name, args: { qsmo: q.id, agency: tier.agency },
      })),
      { key: `agency:${tier.agency}`, name: `Government-wide for ${tier.agency}`, government: true,
        args: { agency: tier.agency } },
    ];
  }
  return [
    ...qsmos.map((q) => ({ key: q.id, name: q.name, args: { qsmo: q.id } })),
    { key: GOVERNMENT, name: "Government-wide", government: true, args: {} },
  ];
}

/** The first column's heading of a tier's grid. */
export function rowHeader(tier) {
  return { qsmo: "QSMO and its providers", provider: "Provider", agency: "QSMO" }[tier.level] || "QSMO";
}

/** The rows' scorecards in one request (aliases r0, r1 …; slice arguments as variables). */
export function tierQuery(rows, card) {
  const variables = rows.map((_, i) => `$q${i}: ID, $p${i}: ID, $a${i}: ID`).join(", ");
  const fields = rows.map((_, i) => `r${i}: scorecard(fiscalYear: $fy, phase: $phase, qsmo: $q${i}, ` +
    `provider: $p${i}, agency: $a${i}) { ${card} }`).join("\n");
  return `query DashboardTier($fy: Int!, $phase: Int, ${variables}) {\n${fields}\n}`;
}

export function tierVariables(rows, fiscalYear, phase) {
  const variables = { fy: fiscalYear, phase };
  rows.forEach((row, i) => {
    variables[`q${i}`] = row.args.qsmo || null;
    variables[`p${i}`] = row.args.provider || null;
    variables[`a${i}`] = row.args.agency || null;
  });
  return variables;
}

/** One sentence on what the tier shows. */
export function describeTier(tier, { qsmos, directory, fiscalYear }) {
  const qsmo = (qsmos.find((q) => q.id === tier.qsmo) || { name: tier.qsmo }).name;
  if (tier.level === "qsmo") {
    return `${qsmo} and each provider on its marketplace, FY${fiscalYear}: a provider's row counts only ` +
      "the events that name it, against the QSMO's targets (or the provider's SLA targets where set). " +
      "A count or amount (engagements, adoptions, cost avoidance) has the QSMO's target for the whole " +
      "marketplace, so one provider's share of it reads RED until an admin sets that provider's SLA " +
      "target for it (setSlaTarget). Choose a provider's name to see it beside the whole QSMO.";
  }
  if (tier.level === "provider") {
    const p = directory.providers.find((x) => x.id === tier.provider);
    const kind = p.kind === "FEDERAL" ? "federal shared service provider" : "industry provider";
    const parent = p.parentAgency ? ` of ${p.parentAgency}` : "";
    const services = p.services.length ? ` Services: ${p.services.join(", ")}.` : "";
    const retired = p.retiredAt
      ? ` Retired ${new Date(p.retiredAt).toLocaleDateString("en-US", { timeZone: "UTC" })}: it keeps its history and accepts no new events.`
      : "";
    return `${p.name}: ${kind}${parent} on the ${qsmo} marketplace, FY${fiscalYear}, beside the whole QSMO.` +
      `${services}${retired}`;
  }
  if (tier.level === "agency") {
    const agency = directory.agencies.find((a) => a.id === tier.agency);
    const name = agency && agency.name !== agency.id ? `${agency.name} (${agency.id})` : tier.agency;
    return `What ${name} receives from each QSMO in FY${fiscalYear}: each QSMO's scorecard counting ` +
      `only ${tier.agency}'s events, then all QSMOs together. Measures a QSMO reports for its whole ` +
      "marketplace (price transparency, for one) have no agency data: NO DATA, not zero. A count or " +
      "amount (engagements, adoptions, cost avoidance) is judged against the QSMO's target for all its " +
      "customers, so one agency's share of it reads RED.";
  }
  return "";
}

/** The path from government-wide down to the tier: ancestors are buttons, the tier is current. */
export function renderTierPath(list, tier, { qsmos, directory }) {
  const steps = [{ level: "government", label: "Government-wide" }];
  if (tier.level === "qsmo" || tier.level === "provider") {
    steps.push({ level: "qsmo", label: (qsmos.find((q) => q.id === tier.qsmo) || { name: tier.qsmo }).name });
  }
  if (tier.level === "provider") {
    const provider = directory.providers.find((p) => p.id === tier.provider);
    steps.push({ level: "provider", label: provider ? provider.name : tier.provider });
  }
  if (tier.level === "agency") {
    const agency = directory.agencies.find((a) => a.id === tier.agency);
    const name = agency && agency.name !== agency.id ? `${agency.name} (${agency.id})` : tier.agency;
    steps.push({ level: "agency", label: `Customer agency: ${name}` });
  }
  list.replaceChildren();
  steps.forEach((step, i) => {
    const last = i === steps.length - 1;
    list.append(element("li", { "data-level": step.level },
      last ? element("span", { "aria-current": "page" }, step.label)
        : element("button", { type: "button", class: "link-button", "data-level": step.level }, step.label)));
  });
}

function noData(status, value) {
  return status === "NO_DATA" || value === null || value === undefined;
}

const SHORT = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 2 });

/** The year's quarters in short: "Q1–Q4: 4.6 · – · 4.9 · 4.2" (a dash: no events that quarter). */
function trendText(trend) {
  if (!trend || !trend.length) return null;
  const values = trend.map((v) => (v === null || v === undefined ? "–" : SHORT.format(v)));
  return `Q1–Q${trend.length}: ${values.join(" · ")}`;
}

const COST_COLUMNS = [
  { field: "costPerTransaction", name: "Cost per transaction",
    format: (v) => `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}` },
  { field: "ftePerThousandCustomers", name: "FTE per 1,000 customers",
    format: (v) => v.toLocaleString("en-US", { maximumFractionDigits: 2 }) },
];

/** A cost figure from the provider's accepted annual data call; none accepted: said in words. */
function costCell(cost, column) {
  const value = cost ? cost[column.field] : null;
  if (value === null || value === undefined) {
    return element("td", { "data-cost": column.field, "data-raw": "" },
      element("span", { class: "muted" }, cost ? "No base" : "No data call accepted"));
  }
  return element("td", { class: "cost", "data-cost": column.field, "data-raw": value }, column.format(value));
}

/**
 * The providers of one QSMO side by side (`providerComparison`): per provider its customer
 * agencies, overall score and, per measure, value, target (SLA where the provider has one),
 * status and the year's quarters; beside them, the cost figures of its accepted annual data
 * call. A measure with no data says so in words, never 0.
 */
export function renderComparison(table, comparison, { qsmoName, profiles }) {
  table.replaceChildren();
  table.append(element("caption", {}, `${qsmoName}: providers compared, FY${comparison.fiscalYear} ` +
    "(value, target and status per measure; SLA marks a provider's own target)"));
  const measures = comparison.measures.map((m) => profiles.get(m.id) || { id: m.id, name: m.id, unit: "" });
  const head = element("tr", {},
    ...["Provider", "Kind", "Customer agencies", "Overall"].map((h) => element("th", { scope: "col" }, h)),
    ...COST_COLUMNS.map((c) => element("th", { scope: "col", "data-cost": c.field }, c.name)),
    ...measures.map((m) => element("th", { scope: "col", "data-measure": m.id }, m.name)));
  table.append(element("thead", {}, head));
  const body = element("tbody");
  for (const row of comparison.rows) {
    const line = element("tr", { "data-provider": row.provider.id });
    line.append(element("th", { scope: "row" },
      element("button", { type: "button", class: "link-button", "data-provider": row.provider.id,
        "aria-label": `${row.provider.name}: show this provider's scorecard` }, providerName(row.provider))));
    line.append(element("td", {}, row.provider.kind === "FEDERAL" ? "federal" : "industry"));
    line.append(element("td", { class: "number", "data-raw": row.customerAgencies }, String(row.customerAgencies)));
    line.append(element("td", {
      class: "overall", "data-status": row.overallStatus, "data-raw": row.overallScore ?? "",
    }, noData(row.overallStatus, row.overallScore) ? "No data " : `${formatScore(row.overallScore)} `,
    badge(row.overallStatus)));
    for (const column of COST_COLUMNS) line.append(costCell(row.cost, column));
    const cells = new Map(row.measures.map((c) => [c.measureId, c]));
    for (const measure of measures) {
      const cell = cells.get(measure.id);
      if (!cell || noData(cell.status, cell.value)) {
        line.append(element("td", { "data-measure": measure.id, "data-status": "NO_DATA", "data-raw": "" },
          element("span", { class: "muted" }, "No data")));
        continue;
      }
      const sla = cell.targetSource === "SLA";
      const target = cell.annualTarget ?? cell.target;
      line.append(element("td", {
        "data-measure": measure.id, "data-status": cell.status, "data-raw": cell.value,
        "data-target": target ?? "", "data-target-source": cell.targetSource,
      },
      element("span", { class: "compare-value" }, formatValue(cell.value, measure.unit)), " ",
      badge(cell.status),
      element("span", { class: "compare-target" },
        target === null || target === undefined ? "no target"
          : `${sla ? "SLA" : "target"} ${formatValue(target, measure.unit)}`),
      trendText(cell.trend) ? element("span", { class: "compare-trend" }, trendText(cell.trend)) : null));
    }
    body.append(line);
  }
  if (!comparison.rows.length) {
    body.append(element("tr", {}, element("td", { colspan: measures.length + 4 + COST_COLUMNS.length },
      "No providers on this marketplace.")));
  }
  table.append(body);
}
