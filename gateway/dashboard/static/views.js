// Rendering: the scorecard grid, the measures of a cell, sparklines and the notification feed.
// Every status is written out in words beside its colour; numbers keep their raw value in
// data-* attributes so tests and assistive tools can read them exactly.

const STATUS_TEXT = { GREEN: "GREEN", AMBER: "AMBER", RED: "RED", NO_DATA: "NO DATA" };
const SVG = "http://www.w3.org/2000/svg";
const WHOLE = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const ONE_DECIMAL = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
export const GOVERNMENT = "government";

export function statusText(status) {
  return STATUS_TEXT[status] || status;
}

export function formatScore(score) {
  return score === null || score === undefined ? "—" : score.toFixed(1);
}

export function formatValue(value, unit) {
  if (value === null || value === undefined) return "—";
  if (unit === "USD") return `$${WHOLE.format(value)}`;
  if (unit.startsWith("%")) return `${value.toFixed(1)}%`;
  if (unit.startsWith("score")) return value.toFixed(2);
  if (unit === "days") return `${value.toFixed(1)} days`;
  return `${ONE_DECIMAL.format(value)} ${unit}`;
}

export function formatAttainment(attainment) {
  return attainment === null || attainment === undefined ? "—" : `${Math.round(attainment * 100)}%`;
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function badge(status) {
  return element("span", { class: `badge status-${status}` }, statusText(status));
}

/** The empty grid: one row per scorecard (by default each QSMO plus government-wide; a tier
 * below the QSMO has its own rows), Overall then each dimension. */
export function buildGrid(table, { rows, dimensions, caption, open, rowHeader = "QSMO" }) {
  table.replaceChildren();
  table.append(element("caption", {}, caption));
  const columns = [{ id: "overall", name: "Overall" }, ...dimensions];
  const head = element("tr", {}, element("th", { scope: "col" }, rowHeader));
  for (const column of columns) head.append(element("th", { scope: "col" }, column.name));
  if (open) head.append(element("th", { scope: "col", class: "ytd" }, "Sum measures vs. expected by today"));
  table.append(element("thead", {}, head));
  const body = element("tbody");
  rows.forEach((row, rowIndex) => {
    const line = element("tr", {
      "data-row": row.key, class: row.key === GOVERNMENT || row.government ? "government" : null,
    });
    // A row that is a tier of its own (a QSMO's provider) opens it from its heading.
    line.append(element("th", { scope: "row" }, row.opens
      ? element("button", { type: "button", class: "link-button", "data-opens": row.opens.level,
        "data-provider": row.opens.provider, "aria-label": `${row.name}: show this provider's view` }, row.name)
      : row.name));
    columns.forEach((column, columnIndex) => {
      const button = element("button", {
        type: "button", class: "cell status-NO_DATA",
        "data-qsmo": row.key, "data-dimension": column.id,
        "data-row-index": rowIndex, "data-col-index": columnIndex,
        "data-row-name": row.name, "data-col-name": column.name,
      });
      paintCell(button, null, "NO_DATA");
      line.append(element("td", {}, button));
    });
    if (open) line.append(element("td", { class: "ytd", "data-row": row.key }, "—"));
    body.append(line);
  });
  table.append(body);
}

/** Show one score and status in a grid cell; returns the status it had before. */
export function paintCell(button, score, status) {
  const before = button.dataset.status;
  button.dataset.status = status;
  button.dataset.score = score === null || score === undefined ? "" : String(score);
  button.className = `cell status-${status}`;
  button.replaceChildren(
    element("span", { class: "score" }, formatScore(score)),
    element("span", { class: "status" }, statusText(status)),
  );
  const scoreText = score === null || score === undefined ? "no score" : `score ${formatScore(score)}`;
  button.setAttribute("aria-label",
    `${button.dataset.rowName}, ${button.dataset.colName}: ${scoreText}, ${statusText(status)}. Show measures.`);
  return before;
}

/** The year-to-date column of an open year: how many of a row's scored `sum` measures meet
 * the target expected by today. */
export function paintYearToDate(table, rowKey, card, sumIds) {
  const cell = table.querySelector(`td.ytd[data-row="${rowKey}"]`);
  if (!cell) return;
  const measures = card ? card.measures.filter((m) => m.active && sumIds.has(m.id)) : [];
  const onTrack = measures.filter((m) => pace(m) === "ON_TRACK").length;
  const behind = measures.filter((m) => pace(m) === "BEHIND").length;
  cell.dataset.onTrack = String(onTrack);
  cell.dataset.behind = String(behind);
  if (!measures.length) {
    cell.replaceChildren("—");
    return;
  }
  cell.replaceChildren(
    paceBadge(behind ? "BEHIND" : "ON_TRACK"),
    element("span", { class: "ytd-counts" }, `${onTrack} of ${measures.length} on track` +
      (behind ? `, ${behind} behind` : "")));
}

/** Under each government-wide cell: how many QSMOs (the rows above) have each status.
 * `governmentKey`: the government-wide row (the agency view's is the agency's). */
export function paintGovernmentCounts(table, qsmoKeys, cards, governmentKey = GOVERNMENT) {
  for (const button of table.querySelectorAll(`button.cell[data-qsmo="${governmentKey}"]`)) {
    const counts = { green: 0, amber: 0, red: 0, noData: 0 };
    for (const key of qsmoKeys) {
      const card = cards.get(key);
      let status = "NO_DATA";
      if (card && button.dataset.dimension === "overall") status = card.overallStatus;
      else if (card) {
        const dimension = card.dimensions.find((d) => d.id === button.dataset.dimension);
        if (dimension) status = dimension.status;
      }
      counts[{ GREEN: "green", AMBER: "amber", RED: "red" }[status] || "noData"] += 1;
    }
    const cell = button.parentElement;
    let note = cell.querySelector(".qsmo-counts");
    if (!note) {
      note = element("p", { class: "qsmo-counts" });
      cell.append(note);
    }
    note.dataset.green = String(counts.green);
    note.dataset.amber = String(counts.amber);
    note.dataset.red = String(counts.red);
    note.dataset.noData = String(counts.noData);
    note.textContent = `QSMOs: ${countsText(counts)}`;
  }
}

/** Paint a scorecard's row (null: no data yet); returns [{button, before, after}] changes. */
export function paintRow(table, rowKey, card) {
  const changes = [];
  for (const button of table.querySelectorAll(`button.cell[data-qsmo="${rowKey}"]`)) {
    let score = null;
    let status = "NO_DATA";
    if (card && button.dataset.dimension === "overall") {
      score = card.overallScore;
      status = card.overallStatus;
    } else if (card) {
      const dimension = card.dimensions.find((d) => d.id === button.dataset.dimension);
      if (dimension) ({ score, status } = dimension);
    }
    const before = paintCell(button, score, status);
    if (before !== status) changes.push({ button, before, after: status });
  }
  return changes;
}

const COMPACT = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const RULES = {
  status_degraded: "Status dropped", target_met: "Target met again", measure_stale: "No recent data",
  dead_letter_surge: "Rejected events surge", restated: "Past year restated",
};

const SEVERITY_RANK = { INFO: 0, WARNING: 1, CRITICAL: 2 };

export function ruleText(rule) {
  return RULES[rule] || rule.replaceAll("_", " ");
}

/** An axis label: short numbers in the measure's unit. */
function formatAxis(value, unit) {
  if (unit === "USD") return `$${COMPACT.format(value)}`;
  if (unit.startsWith("%")) return `${COMPACT.format(value)}%`;
  return COMPACT.format(value);
}

function svgNode(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

/** "Jan", "Feb"… from a `2026-01` label; other labels (quarters) as they are. */
function shortPeriod(label) {
  const month = /^(\d{4})-(\d{2})$/.exec(label);
  if (!month) return label.replace(/^FY\d{4} /, "");
  return new Date(Date.UTC(Number(month[1]), Number(month[2]) - 1, 1))
    .toLocaleString("en-US", { month: "short", timeZone: "UTC" });
}

/**
 * A labelled line chart of a measure's series: each period's value (solid, dots) and its own
 * target (dashed), a value axis with its bounds, period labels, the latest value written out.
 * Its text equivalent is the aria-label and a visually hidden table of every period.
 */
export function trendChart(points, { unit, direction, name }) {
  const width = 340;
  const height = 130;
  const left = 52;
  const right = 40;
  const top = 10;
  const bottom = 22;
  const figure = element("figure", { class: "trend" });
  const values = points.map((p) => p.value).filter((v) => v !== null && v !== undefined);
  const targets = points.map((p) => p.target).filter((v) => v !== null && v !== undefined);
  const better = direction === "LOWER" ? "lower is better" : "higher is better";
  const reported = points.filter((p) => p.value !== null && p.value !== undefined);
  const latest = reported[reported.length - 1];
  const summary = latest
    ? `Monthly values of ${name} (${better}): ${reported.length} of ${points.length} periods reported; ` +
      `latest ${latest.period.label} ${formatValue(latest.value, unit)} against a target of ` +
      `${formatValue(latest.target, unit)}, ${statusText(latest.status)}.`
    : `Monthly values of ${name}: nothing reported yet.`;
  const svg = svgNode("svg", {
    viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "sparkline",
    "aria-label": summary,
  });
  svg.append(svgNode("title", {}, summary));
  figure.append(svg);
  const plotted = [...values, ...targets];
  if (plotted.length) {
    let low = Math.min(0, ...plotted);
    let high = Math.max(...plotted);
    if (high === low) high = low + 1;
    const pad = (high - low) * 0.05;
    high += pad;
    if (low < 0) low -= pad;
    const x = (i) => left + (i * (width - left - right)) / Math.max(1, points.length - 1);
    const y = (v) => top + ((high - v) * (height - top - bottom)) / (high - low);
    // Value axis: its bounds and zero line.
    svg.append(svgNode("line", { x1: left, x2: width - right, y1: y(low), y2: y(low), class: "spark-axis" }));
    svg.append(svgNode("line", { x1: left, x2: left, y1: top, y2: y(low), class: "spark-axis" }));
    svg.append(svgNode("text", { x: left - 4, y: y(high) + 4, class: "spark-label", "text-anchor": "end" },
      formatAxis(high, unit)));
    svg.append(svgNode("text", { x: left - 4, y: y(low), class: "spark-label", "text-anchor": "end" },
      formatAxis(low, unit)));
    // Period axis: first, middle and last period.
    const ticks = [...new Set([0, Math.floor((points.length - 1) / 2), points.length - 1])];
    for (const i of ticks) {
      if (!points[i]) continue;
      svg.append(svgNode("text", { x: x(i), y: height - 6, class: "spark-label", "text-anchor": "middle" },
        shortPeriod(points[i].period.label)));
    }
    // Each period's own target, dashed.
    let targetPath = "";
    points.forEach((p, i) => {
      if (p.target === null || p.target === undefined) return;
      targetPath += `${targetPath ? "L" : "M"}${x(i).toFixed(1)},${y(p.target).toFixed(1)} `;
    });
    if (targetPath) svg.append(svgNode("path", { d: targetPath.trim(), class: "spark-target" }));
    let path = "";
    points.forEach((p, i) => {
      if (p.value === null || p.value === undefined) return;
      const previous = i > 0 && points[i - 1].value !== null && points[i - 1].value !== undefined;
      path += `${previous ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)} `;
      svg.append(svgNode("circle", {
        cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: 2.6, class: `spark-dot spark-${p.status}`,
      }));
    });
    svg.append(svgNode("path", { d: path.trim(), class: "spark-line" }));
    if (latest) {
      const i = points.indexOf(latest);
      svg.append(svgNode("text", { x: x(i) + 5, y: y(latest.value) - 5, class: "spark-value" },
        formatAxis(latest.value, unit)));
    }
  }
  if (!values.length) figure.append(element("p", { class: "muted trend-empty" }, "Nothing reported yet this year."));
  figure.append(element("figcaption", { class: "trend-key" },
    element("span", { class: "key-value", "aria-hidden": "true" }), "value ",
    element("span", { class: "key-target", "aria-hidden": "true" }), "target of each period"));
  const table = element("table", { class: "visually-hidden trend-table" },
    element("caption", {}, `${name} by period`),
    element("thead", {}, element("tr", {}, ...["Period", "Value", "Target", "Status"]
      .map((h) => element("th", { scope: "col" }, h)))));
  const body = element("tbody");
  for (const p of points) {
    body.append(element("tr", {}, element("th", { scope: "row" }, p.period.label),
      element("td", {}, formatValue(p.value, unit)), element("td", {}, formatValue(p.target, unit)),
      element("td", {}, statusText(p.status))));
  }
  table.append(body);
  figure.append(table);
  return figure;
}

/** For a `sum` measure of an open year: "on track" when it meets the target expected by today. */
export function pace(measure) {
  if (measure.status === "NO_DATA" || measure.value === null || measure.value === undefined) return "NO_DATA";
  return measure.status === "GREEN" ? "ON_TRACK" : "BEHIND";
}

export function paceBadge(value) {
  const words = { ON_TRACK: "✓ On track", BEHIND: "▼ Behind", NO_DATA: "– No data yet" };
  const status = { ON_TRACK: "GREEN", BEHIND: "RED", NO_DATA: "NO_DATA" }[value];
  return element("span", { class: `badge pace status-${status}`, "data-pace": value }, words[value]);
}

function fact(key, label, raw, shown, ...extra) {
  return element("div", { class: "fact", "data-fact": key, "data-raw": raw ?? "" },
    element("dt", {}, label), element("dd", {}, shown, ...extra));
}

function signed(change, unit) {
  if (change === null || change === undefined) return null;
  const arrow = change > 0 ? "▲" : change < 0 ? "▼" : "=";
  return element("span", { class: "change" }, ` ${arrow} ${change > 0 ? "+" : change < 0 ? "−" : ""}` +
    `${formatValue(Math.abs(change), unit)}`);
}

function qualityText(dataQuality) {
  const parts = [`${dataQuality.eventCount} events`];
  if (dataQuality.restatedCount) parts.push(`${dataQuality.restatedCount} restated`);
  if (dataQuality.stale) parts.push(`stale (nothing for ${dataQuality.reportingFrequencyDays}+ days)`);
  if (dataQuality.lastEventAt) {
    parts.push(`last ${new Date(dataQuality.lastEventAt).toLocaleDateString("en-US", { timeZone: "UTC" })}`);
  }
  return parts.join(" · ");
}

export function countsText(counts) {
  return `${counts.green} GREEN · ${counts.amber} AMBER · ${counts.red} RED` +
    (counts.noData ? ` · ${counts.noData} no data` : "");
}

function commentaryBlock(commentary) {
  if (!commentary) return element("p", { class: "commentary muted", "data-commentary": "" }, "No commentary this year.");
  const when = new Date(commentary.createdAt).toLocaleDateString("en-US", { timeZone: "UTC" });
  return element("blockquote", { class: "commentary", "data-commentary": commentary.text },
    element("p", {}, commentary.text),
    element("footer", { class: "muted" }, `${commentary.author}, `,
      element("time", { datetime: commentary.createdAt }, when)));
}

function actionsBlock(actions) {
  if (!actions.length) return element("p", { class: "actions muted", "data-actions": 0 }, "No open improvement actions.");
  const list = element("ul", { class: "actions", "data-actions": actions.length });
  for (const action of actions) {
    list.append(element("li", { "data-action": action.id },
      element("span", { class: "action-title" }, action.title), ` — ${action.owner}, due `,
      element("time", { datetime: action.dueDate }, action.dueDate),
      `, ${action.status.replace("_", " ").toLowerCase()}`,
      action.overdue ? element("strong", { class: "overdue" }, " · overdue") : null));
  }
  return list;
}

/**
 * The measures of a drill-down, one card each: the numbers a program manager compares (this
 * year, expected by today, annual target, projection, last year, baseline), the trend, the
 * latest commentary and the open improvement actions (a QSMO's own scorecard only: not
 * government-wide, not a provider's or agency's slice).
 */
export function renderMeasures(container, measures, { profiles, series, open, governmentWide, slice = false }) {
  container.replaceChildren();
  const analysis = !governmentWide && !slice;
  for (const measure of measures) {
    const profile = profiles.get(measure.id) || { direction: "HIGHER", aggregation: "LATEST" };
    const better = profile.direction === "LOWER" ? "lower is better" : "higher is better";
    const sumOpen = open && profile.aggregation === "SUM";
    const headingId = `measure-${measure.id}`;
    const facts = element("dl", { class: "facts" },
      fact("value", sumOpen ? "Value so far" : "Value", measure.value, formatValue(measure.value, measure.unit)),
      sumOpen
        ? fact("target", "Expected by today", measure.target, formatValue(measure.target, measure.unit))
        : null,
      fact("annual-target", "Annual target", measure.annualTarget, formatValue(measure.annualTarget, measure.unit)),
      fact("attainment", sumOpen ? "Attainment to date" : "Attainment", measure.attainment,
        formatAttainment(measure.attainment)),
      sumOpen ? fact("projected", "Projected year-end", measure.projectedValue,
        formatValue(measure.projectedValue, measure.unit), " at this pace") : null,
      // A sum so far is not comparable with the whole of last year: no change shown then.
      fact("last-year", sumOpen ? "Last year (whole year)" : "Last year", measure.lastYearValue,
        formatValue(measure.lastYearValue, measure.unit),
        sumOpen ? null : signed(measure.changeFromLastYear, measure.unit)),
      fact("baseline", "Baseline", measure.baseline, formatValue(measure.baseline, measure.unit),
        signed(measure.change, measure.unit)),
      governmentWide && measure.qsmoStatusCounts
        ? fact("qsmos", "QSMOs", countsText(measure.qsmoStatusCounts), countsText(measure.qsmoStatusCounts))
        : null,
      measure.dataQuality
        ? fact("quality", "Data", qualityText(measure.dataQuality), qualityText(measure.dataQuality))
        : null);
    const status = element("p", { class: "measure-status", "data-status": measure.status },
      badge(measure.status), sumOpen ? paceBadge(pace(measure)) : null,
      measure.active ? null : element("span", { class: "muted" }, "not scored in this phase"));
    const card = element("article", {
      class: `measure-card${measure.active ? "" : " inactive"}`, "data-measure": measure.id,
      "aria-labelledby": headingId,
    },
    element("h3", { id: headingId }, measure.name,
      element("span", { class: "unit" }, `${measure.unit} · ${better} · ${profile.aggregation.toLowerCase()}`)),
    status, facts,
    trendChart(series.get(measure.id) || [], { unit: measure.unit, direction: profile.direction, name: measure.name }),
    analysis ? element("h4", {}, "Latest commentary") : null,
    analysis ? commentaryBlock(measure.latestCommentary) : null,
    analysis ? element("h4", {}, "Open improvement actions") : null,
    analysis ? actionsBlock(measure.openImprovementActions) : null);
    container.append(card);
  }
}

/** Group notifications by (QSMO, rule); groups newest first, each collapsed with its count. */
export function groupNotifications(notifications) {
  const groups = new Map();
  const sorted = [...notifications].sort((a, b) => b.raisedAt.localeCompare(a.raisedAt));
  for (const n of sorted) {
    const key = `${n.qsmoId || GOVERNMENT}|${n.rule}`;
    if (!groups.has(key)) groups.set(key, { key, qsmoId: n.qsmoId, rule: n.rule, items: [] });
    groups.get(key).items.push(n);
  }
  return [...groups.values()];
}

/** The notification feed: one collapsed group per QSMO and rule, newest group first. */
export function renderFeed(list, notifications, qsmoNames, expanded = new Set()) {
  // A live notification re-renders the feed: keep the keyboard focus on its group.
  const focused = document.activeElement && document.activeElement.closest
    ? document.activeElement.closest("#feed li.feed-group") : null;
  const focusKey = focused ? focused.dataset.group : null;
  list.replaceChildren();
  if (!notifications.length) {
    list.append(element("li", { class: "muted" }, "No notifications yet."));
    return;
  }
  for (const group of groupNotifications(notifications)) {
    const newest = group.items[0];
    const who = group.qsmoId ? qsmoNames.get(group.qsmoId) || group.qsmoId : "Government-wide";
    const count = group.items.length;
    const open = group.items.filter((n) => n.state !== "RESOLVED").length;
    const worst = group.items.reduce((a, n) => (SEVERITY_RANK[n.severity] > SEVERITY_RANK[a] ? n.severity : a),
      group.items[0].severity);
    const details = element("details", { open: expanded.has(group.key) || null },
      element("summary", {},
        element("span", { class: `badge severity-${worst}`, title: "the most severe in the group" }, worst),
        element("span", { class: "feed-who" }, who),
        element("span", { class: "feed-rule" }, ruleText(group.rule)),
        element("span", { class: "feed-count", "data-count": count },
          `${count} notification${count === 1 ? "" : "s"}${open < count ? `, ${open} still open` : ""}`),
        element("time", { datetime: newest.raisedAt }, `newest ${new Date(newest.raisedAt).toLocaleString("en-US")}`),
        element("span", { class: "feed-latest" }, newest.message)));
    const items = element("ol", { class: "feed-items" });
    for (const n of group.items) {
      items.append(element("li", { class: "feed-item", "data-id": n.id },
        element("span", { class: `badge severity-${n.severity}` }, n.severity),
        element("span", { class: "feed-state" }, n.state === "RESOLVED" ? "resolved" : "raised"),
        element("time", { datetime: n.raisedAt }, new Date(n.raisedAt).toLocaleString("en-US")),
        element("p", { class: "feed-message" }, n.message)));
    }
    details.append(items);
    details.addEventListener("toggle", () => {
      if (details.open) expanded.add(group.key);
      else expanded.delete(group.key);
    });
    list.append(element("li", {
      class: "feed-group", "data-group": group.key, "data-qsmo": group.qsmoId || GOVERNMENT,
      "data-rule": group.rule, "data-count": count,
    }, details));
    if (group.key === focusKey) details.querySelector("summary").focus();
  }
}
