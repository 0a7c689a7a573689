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

function element(tag, attributes = {}, ...children) {
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

/** The empty grid: one row per QSMO plus government-wide, Overall then each dimension. */
export function buildGrid(table, { rows, dimensions, caption }) {
  table.replaceChildren();
  table.append(element("caption", {}, caption));
  const columns = [{ id: "overall", name: "Overall" }, ...dimensions];
  const head = element("tr", {}, element("th", { scope: "col" }, "QSMO"));
  for (const column of columns) head.append(element("th", { scope: "col" }, column.name));
  table.append(element("thead", {}, head));
  const body = element("tbody");
  rows.forEach((row, rowIndex) => {
    const line = element("tr", { "data-row": row.key, class: row.key === GOVERNMENT ? "government" : null });
    line.append(element("th", { scope: "row" }, row.name));
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

/** A small line chart of monthly values with the target dashed; described in words. */
export function sparkline(points, target, unit, direction) {
  const width = 132;
  const height = 32;
  const values = points.map((p) => p.value).filter((v) => v !== null && v !== undefined);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("role", "img");
  svg.setAttribute("class", "sparkline");
  const described = points.map((p) => `${p.period.label}: ${formatValue(p.value, unit)}`).join("; ");
  const label = values.length
    ? `Monthly values (${direction === "LOWER" ? "lower" : "higher"} is better). ${described}`
    : "No monthly values yet";
  svg.setAttribute("aria-label", label);
  const title = document.createElementNS(SVG, "title");
  title.textContent = label;
  svg.append(title);
  if (!values.length) return svg;
  const low = Math.min(...values, target);
  const high = Math.max(...values, target);
  const span = high - low || 1;
  const x = (i) => 3 + (i * (width - 6)) / Math.max(1, points.length - 1);
  const y = (v) => height - 3 - ((v - low) * (height - 6)) / span;
  const targetLine = document.createElementNS(SVG, "line");
  Object.entries({ x1: 0, x2: width, y1: y(target), y2: y(target), class: "spark-target" })
    .forEach(([k, v]) => targetLine.setAttribute(k, String(v)));
  svg.append(targetLine);
  let path = "";
  points.forEach((p, i) => {
    if (p.value === null || p.value === undefined) return;
    const command = i > 0 && points[i - 1].value !== null && points[i - 1].value !== undefined ? "L" : "M";
    path += `${command}${x(i).toFixed(1)},${y(p.value).toFixed(1)} `;
    const dot = document.createElementNS(SVG, "circle");
    Object.entries({ cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: 1.8, class: "spark-dot" })
      .forEach(([k, v]) => dot.setAttribute(k, String(v)));
    svg.append(dot);
  });
  const line = document.createElementNS(SVG, "path");
  line.setAttribute("d", path.trim());
  line.setAttribute("class", "spark-line");
  svg.append(line);
  return svg;
}

function quality(dataQuality) {
  const parts = [element("span", {}, `${dataQuality.eventCount} events`)];
  if (dataQuality.restatedCount) {
    parts.push(element("span", { class: "flag flag-restated" }, `${dataQuality.restatedCount} restated`));
  }
  if (dataQuality.stale) {
    parts.push(element("span", { class: "flag flag-stale" },
      `stale (nothing for ${dataQuality.reportingFrequencyDays}+ days)`));
  }
  if (dataQuality.lastEventAt) {
    const when = new Date(dataQuality.lastEventAt);
    parts.push(element("span", { class: "muted" }, "last ",
      element("time", { datetime: dataQuality.lastEventAt }, when.toLocaleDateString("en-US"))));
  }
  return element("td", { class: "quality" }, ...parts);
}

/** The measures table of a drill-down: value, target, attainment, status, trend, quality. */
export function renderMeasures(table, measures, profiles, series) {
  table.replaceChildren();
  table.append(element("caption", { class: "visually-hidden" }, "Measures of the selected cell"));
  const head = element("tr");
  for (const name of ["Measure", "Value", "Target", "Attainment", "Status", "Trend by month", "Data quality"]) {
    head.append(element("th", { scope: "col" }, name));
  }
  table.append(element("thead", {}, head));
  const body = element("tbody");
  for (const measure of measures) {
    const profile = profiles.get(measure.id) || { direction: "HIGHER" };
    const better = profile.direction === "LOWER" ? "lower is better" : "higher is better";
    const note = measure.active ? null : element("span", { class: "muted" }, " · not scored in this phase");
    const row = element("tr", { "data-measure": measure.id, class: measure.active ? null : "inactive" },
      element("th", { scope: "row" }, measure.name,
        element("span", { class: "unit" }, `${measure.unit} · ${better}`, note)),
      element("td", { class: "value", "data-value": measure.value ?? "" }, formatValue(measure.value, measure.unit)),
      element("td", { class: "target", "data-target": measure.target }, formatValue(measure.target, measure.unit)),
      element("td", { class: "attainment", "data-attainment": measure.attainment ?? "" },
        formatAttainment(measure.attainment)),
      element("td", { class: "status", "data-status": measure.status }, badge(measure.status)),
      element("td", { class: "trend" }, sparkline(series.get(measure.id) || [], measure.target, measure.unit,
        profile.direction)),
      quality(measure.dataQuality));
    body.append(row);
  }
  table.append(body);
}

/** The notification feed, newest first. */
export function renderFeed(list, notifications, qsmoNames) {
  list.replaceChildren();
  if (!notifications.length) {
    list.append(element("li", { class: "muted" }, "No notifications yet."));
    return;
  }
  for (const n of notifications) {
    const when = new Date(n.raisedAt);
    const who = n.qsmoId ? qsmoNames.get(n.qsmoId) || n.qsmoId : "Government-wide";
    list.append(element("li", { class: `feed-item severity-${n.severity}`, "data-id": n.id },
      element("span", { class: `badge severity-${n.severity}` }, n.severity),
      element("span", { class: "feed-state" }, n.state === "RESOLVED" ? "resolved" : "raised"),
      element("time", { datetime: n.raisedAt }, when.toLocaleString("en-US")),
      element("span", { class: "feed-who" }, who),
      element("p", { class: "feed-message" }, n.message)));
  }
}
