// Chart.js (vendored, loaded as window.Chart) with what every chart here needs: axis titles
// with units, an aria-label, a visually hidden table of the numbers and a data-ready mark.
import { h, table } from "./ui.js";

const Chart = window.Chart;
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;

// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
export const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];
export const color = (i) => COLORS[i % COLORS.length];
export const POINT_STYLES = ["circle", "rect", "triangle", "rectRot", "crossRot", "star"];

const live = new Set();
export function destroyCharts() {
  for (const chart of live) chart.destroy();
  live.clear();
}

// Marks the canvas data-ready="true" once drawn, and the first plot of the page load.
const ready = {
  id: "ready",
  afterRender(chart) {
    if (chart.canvas.dataset.ready) return;
    chart.canvas.dataset.ready = "true";
    if (!performance.getEntriesByName("first-plot").length) performance.mark("first-plot");
  },
};

// [lo, hi] of point j: from the dataset's `ci` array, else from points {lo, hi}.
const bounds = (dataset, j) => (dataset.ci ? dataset.ci[j] ?? [] : [dataset.data[j]?.lo, dataset.data[j]?.hi]);

// Vertical 95 % interval bars for datasets with `intervals: true`; the y axis is widened
// to hold them.
const intervals = {
  id: "intervals",
  afterDataLimits(chart, { scale }) {
    if (scale.axis !== "y") return;
    chart.data.datasets.forEach((dataset, i) => {
      if (!dataset.intervals || !chart.isDatasetVisible(i)) return;
      dataset.data.forEach((_, j) => {
        const [lo, hi] = bounds(dataset, j);
        if (lo != null) scale.min = Math.min(scale.min, lo);
        if (hi != null) scale.max = Math.max(scale.max, hi);
      });
    });
  },
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    chart.data.datasets.forEach((dataset, i) => {
      const meta = chart.getDatasetMeta(i);
      if (!dataset.intervals || meta.hidden) return;
      const y = chart.scales[meta.yAxisID];
      ctx.save();
      ctx.strokeStyle = dataset.intervalColor ?? dataset.borderColor;
      ctx.lineWidth = 1.5;
      meta.data.forEach((element, j) => {
        const [lo, hi] = bounds(dataset, j);
        if (lo == null || hi == null) return;
        const top = y.getPixelForValue(hi);
        const bottom = y.getPixelForValue(lo);
        ctx.beginPath();
        ctx.moveTo(element.x, top);
        ctx.lineTo(element.x, bottom);
        for (const end of [top, bottom]) {
          ctx.moveTo(element.x - 4, end);
          ctx.lineTo(element.x + 4, end);
        }
        ctx.stroke();
      });
      ctx.restore();
    });
  },
};

// Log-axis ticks at 1, 2 and 5 times a power of ten only.
export const logTicks = (value) => {
  const mantissa = Number((value / 10 ** Math.floor(Math.log10(value))).toFixed(6));
  return [1, 2, 5].includes(mantissa) ? value : null;
};

export const axis = (title, options = {}) => ({ title: { display: true, text: title }, ...options });

// Appends a figure (chart, caption, hidden table) to `parent` and draws `config` in it.
export function mountChart(parent, { label, caption, config, columns, rows, id }) {
  const canvas = h("canvas", { role: "img", "aria-label": label, id });
  const figure = h(
    "figure",
    {},
    h("div", { class: "chart" }, canvas),
    h("figcaption", {}, caption),
    table({ caption: `${label}: the numbers`, columns, rows, hidden: true }),
  );
  parent.append(figure);
  const chart = new Chart(canvas, { ...config, plugins: [ready, intervals, ...(config.plugins ?? [])] });
  live.add(chart);
  return chart;
}
