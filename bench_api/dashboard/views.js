// The pages. Each gets a context {arg, params, view, alive, navigate} and renders into view;
// `alive()` turns false when the user has moved on, which ends any polling loop.
import { API, bundleUrl, get, latestReport, mapLimit, query, reportUrl, request, runsUrl } from "./api.js";
import { axis, color, logTicks, mountChart, POINT_STYLES } from "./charts.js";
import { badge, blobLink, facts, fmt, h, modeBadge, sleep, table, validationBadge } from "./ui.js";

const STATUSES = ["queued", "running", "completed", "failed"];
const ACTIVE = new Set(["queued", "running"]);
const TOP_OUTCOMES = 16;
const FIDELITY_AXIS = "Fidelity (0 to 1, unitless)";
const runLink = (id, text = fmt.short(id)) => h("a", { href: `#/run/${encodeURIComponent(id)}`, title: id, "aria-label": `Run ${id}` }, text);
const backendsOf = async () => (await get(`${API}/backends`)).backends;

function select(name, label, options, value) {
  const id = `field-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("select", { name, id }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))),
  );
}

function backendChoices(backends, chosen, legend) {
  return h(
    "fieldset",
    {},
    h("legend", {}, legend),
    backends.map((b) => h("label", {}, h("input", { type: "checkbox", name: "backend", value: b.id, checked: chosen.includes(b.id) }), ` ${b.id}`)),
  );
}

// ---- runs ---------------------------------------------------------------------------------

export async function runs(ctx) {
  const backends = await backendsOf();
  const filter = { backend_id: ctx.params.get("backend_id") ?? "", status: ctx.params.get("status") ?? "", since: ctx.params.get("since") ?? "", limit: ctx.params.get("limit") ?? "" };
  const sinceDay = filter.since.slice(0, 10);
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filter runs" },
    select("backend_id", "Backend", [["", "All backends"], ...backends.map((b) => [b.id, b.id])], filter.backend_id),
    select("status", "Status", [["", "All statuses"], ...STATUSES.map((s) => [s, s])], filter.status),
    h("div", { class: "field" }, h("label", { for: "field-since" }, "Created on or after (UTC)"), h("input", { type: "date", id: "field-since", name: "since", value: sinceDay })),
    h("button", { type: "submit" }, "Apply filters"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const since = data.get("since") ? `${data.get("since")}T00:00:00Z` : "";
    ctx.navigate(`#/runs${query({ backend_id: data.get("backend_id"), status: data.get("status"), since })}`);
  });
  const results = h("div", { id: "runs", "aria-live": "polite" });
  ctx.view.replaceChildren(h("h1", { tabindex: "-1" }, "Runs"), form, results);

  const cursor = ctx.params.get("cursor");
  let shown = null;
  while (ctx.alive()) {
    const page = await get(runsUrl({ ...filter, limit: filter.limit || 20, cursor }));
    if (!ctx.alive()) return;
    const text = JSON.stringify(page);
    if (text !== shown) {
      shown = text;
      results.replaceChildren(...runsTable(page, filter, cursor));
    }
    // New and unfinished runs show up on their own: sooner while some are still going.
    await sleep(page.runs.some((r) => ACTIVE.has(r.status)) ? 1000 : 4000);
  }
}

function runsTable(page, filter, cursor) {
  if (!page.runs.length) return [h("p", {}, "No runs match these filters.")];
  const rows = page.runs.map((r) => [
    runLink(r.benchmark_id),
    badge(r.status),
    r.backend_id,
    modeBadge(r.execution_mode),
    fmt.time(r.created_at),
    fmt.time(r.finished_at),
    fmt.fidelity(r.summary?.average_fidelity),
    validationBadge(r.validation),
    r.campaign_id ? h("a", { href: `#/campaign/${encodeURIComponent(r.campaign_id)}` }, fmt.short(r.campaign_id)) : null,
  ]);
  const columns = ["Run", "Status", "Backend", "Execution mode", "Created", "Finished", "#Average fidelity", "Validation", "Campaign"];
  const pager = h(
    "nav",
    { class: "pager", "aria-label": "Pages of runs" },
    cursor ? h("a", { href: `#/runs${query(filter)}` }, "First page") : null,
    page.next_cursor ? h("a", { href: `#/runs${query({ ...filter, cursor: page.next_cursor })}` }, "Next page") : null,
  );
  return [table({ caption: "Runs, newest first", columns, rows }), pager];
}

// ---- one run --------------------------------------------------------------------------------

export async function run(ctx) {
  const id = ctx.arg;
  const progress = h("div", { id: "progress", "aria-live": "polite" });
  const content = h("div", { id: "run" });
  ctx.view.replaceChildren(h("h1", { tabindex: "-1" }, "Run ", h("code", {}, id)), progress, content);
  let envelope;
  while (ctx.alive()) {
    const answer = await request(reportUrl(id), { accept: [202] });
    if (!ctx.alive()) return;
    if (answer.status === 200) {
      envelope = answer.data;
      break;
    }
    const details = answer.data.details ?? {};
    const { completed = 0, total = 0 } = details.progress ?? {};
    progress.replaceChildren(
      h("p", {}, "Status: ", badge(details.status ?? "running"), ` — ${completed} of ${total} workloads done`),
      h("progress", { max: total || 1, value: completed, "aria-label": "Workloads done" }, `${completed} of ${total}`),
    );
    await sleep(1000);
  }
  if (!envelope) return;
  progress.replaceChildren();
  const report = envelope.report;
  const bundle = request(bundleUrl(id));
  const verification = request(`${API}/verify`, { method: "POST", body: { report }, accept: [400] });
  const download = request(`${reportUrl(id)}/download`);

  content.replaceChildren(
    report.execution_mode === "simulated"
      ? h("p", { class: "badge simulated", id: "simulated" }, "Simulated: these results come from a simulator, not from the device")
      : null,
    facts([
      ["Backend", report.backend_id],
      ["Provider", report.provider],
      ["Execution mode", modeBadge(report.execution_mode)],
      ["Created", fmt.time(report.created_at)],
      ["Shots per circuit", report.shots],
      ["Workloads completed", `${report.summary.completed_workloads} of ${report.summary.total_workloads}`],
      ["Average fidelity", fmt.fidelity(report.summary.average_fidelity)],
      ...(report.workloads.some((w) => w.type === "QUANTUM_VOLUME") ? [["Quantum volume", report.summary.quantum_volume ?? "not reached"]] : []),
      ["Total execution time", fmt.ms(report.summary.total_execution_time_ms)],
      ["Calibration timestamp", fmt.time(report.environment?.backend_calibration_timestamp)],
      ["Storage", envelope.storage_mode],
    ]),
  );
  if (report.validation) content.append(validationSection(report.validation));
  content.append(h("h2", {}, "Workloads"), workloadTable(report.workloads));
  content.append(h("h2", {}, "Fidelity per workload"));
  fidelityChart(content, report.workloads);
  const countsSection = h("section", { "aria-labelledby": "counts-title" }, h("h2", { id: "counts-title" }, "Counts behind each figure"), h("p", { class: "muted" }, "Loading the evidence bundle…"));
  const verifySection = h("section", { id: "verification", "aria-labelledby": "verify-title", "aria-live": "polite" }, h("h2", { id: "verify-title" }, "Verification"), h("p", { class: "muted" }, "Verifying…"));
  const downloads = h("section", { "aria-labelledby": "downloads-title" }, h("h2", { id: "downloads-title" }, "Downloads"), h("div", { class: "downloads" }));
  content.append(countsSection, verifySection, downloads);

  const links = downloads.querySelector(".downloads");
  const [verified, bundleAnswer, downloadAnswer] = await Promise.allSettled([verification, bundle, download]);
  if (!ctx.alive()) return;
  verifySection.replaceChildren(verifySection.firstChild, ...(verified.status === "fulfilled" ? verificationResult(verified.value.data) : [failure(verified.reason)]));
  if (downloadAnswer.status === "fulfilled") links.append(blobLink(downloadAnswer.value.text, `bench-report-${fmt.short(id)}.json`, "Signed report (JSON)"));
  if (bundleAnswer.status === "fulfilled") {
    links.append(blobLink(bundleAnswer.value.text, `bench-bundle-${fmt.short(id)}.json`, "Evidence bundle (JSON)"));
    countsView(countsSection, report.workloads, bundleAnswer.value.data, id);
  } else {
    countsSection.replaceChildren(countsSection.firstChild, failure(bundleAnswer.reason));
  }
}

const failure = (error) => h("p", { class: "error", role: "alert" }, error.message);

function validationSection(validation) {
  const rows = validation.checks.map((c) => [c.workload_id, c.metric, fmt.fidelity(c.threshold), fmt.fidelity(c.value), fmt.interval(c.ci95), badge(c.passed ? "passed" : "failed")]);
  return h(
    "section",
    { id: "validation", "aria-labelledby": "validation-title" },
    h("h2", { id: "validation-title" }, "Validation: ", validationBadge(validation)),
    h("p", { class: "muted" }, "A check passes when the lower end of the 95 % interval meets the threshold."),
    table({ caption: "Validation checks", columns: ["Workload", "Metric", "#Threshold", "#Value", "95 % interval", "Result"], rows }),
  );
}

function workloadTable(workloads) {
  const rows = workloads.map((w) => [
    w.id, w.type, w.qubits, badge(w.status), fmt.fidelity(w.fidelity), fmt.interval(w.fidelity_ci95),
    fmt.ms(w.execution_time_ms), fmt.value(w.gate_count), fmt.value(w.depth), fmt.value(w.two_qubit_gate_count),
    Object.entries(w.metrics ?? {}).map(([k, v]) => `${k}: ${fmt.value(v)}`).join("; ") || (w.error ?? null),
  ]);
  const columns = ["Workload", "Type", "#Qubits", "Status", "#Fidelity", "95 % interval", "#Execution time", "#Gates", "#Depth", "#2-qubit gates", "Metrics"];
  return table({ caption: "Results per workload", columns, rows, id: "workloads" });
}

function fidelityChart(parent, workloads) {
  const shown = workloads.filter((w) => w.fidelity != null);
  return mountChart(parent, {
    id: "fidelity-chart",
    label: "Fidelity per workload with its 95 % interval",
    caption: "Bars span the 95 % interval of each fidelity; the dot is the estimate.",
    columns: ["Workload", "#Fidelity", "95 % interval"],
    rows: shown.map((w) => [w.id, fmt.fidelity(w.fidelity), fmt.interval(w.fidelity_ci95)]),
    config: {
      type: "bar",
      data: {
        labels: shown.map((w) => w.id),
        datasets: [
          { type: "bar", label: "95 % interval", data: shown.map((w) => w.fidelity_ci95 ?? [w.fidelity, w.fidelity]), backgroundColor: "rgba(0, 114, 178, 0.3)", borderColor: color(0), borderWidth: 1, minBarLength: 2 },
          { type: "line", label: "Fidelity", data: shown.map((w) => w.fidelity), showLine: false, pointRadius: 5, backgroundColor: color(1), borderColor: color(1) },
        ],
      },
      options: {
        scales: { x: axis("Workload"), y: axis(FIDELITY_AXIS, { beginAtZero: false }) },
        plugins: { tooltip: { callbacks: { label: (item) => (item.datasetIndex === 0 ? `95 % interval: ${fmt.interval(item.raw)}` : `Fidelity: ${fmt.fidelity(item.raw)}`) } } },
      },
    },
  });
}

function verificationResult(result) {
  const check = (v) => (v === null || v === undefined ? badge("not checked", "none") : badge(v ? "valid" : "invalid"));
  const rows = [
    ["Content hash", check(result.content_hash_valid)],
    ["Evidence hash", check(result.evidence_hash_valid)],
    ["Signature", check(result.signature_valid)],
    ["Ledger inclusion", check(result.ledger_valid)],
  ];
  return [
    h("p", {}, "Status: ", badge(result.status ?? "invalid", result.status === "valid" ? "valid" : "invalid"), result.error ? ` — ${result.error}` : ""),
    table({ caption: "Verification checks", columns: ["Check", "Result"], rows }),
    result.warnings?.length ? h("ul", { "aria-label": "Warnings" }, result.warnings.map((w) => h("li", {}, w))) : h("p", { class: "muted" }, "No warnings."),
  ];
}

// Each circuit of each workload from the bundle's execution_result items: its statistics,
// and its counts (hex outcome -> shots; carried in the bundle, or downloaded when too wide).
function countsView(section, workloads, bundle, benchmarkId) {
  const circuits = new Map();
  for (const item of bundle.items ?? []) {
    if (item.type === "execution_result") circuits.set(item.content.workload_id, item.content.circuits ?? []);
  }
  const ids = workloads.map((w) => w.id).filter((w) => circuits.get(w)?.length);
  if (!ids.length) {
    section.replaceChildren(section.firstChild, h("p", {}, "The bundle holds no counts."));
    return;
  }
  const holder = h("div");
  const workloadChoice = select("workload", "Workload", ids.map((w) => [w, w]), ids[0]);
  const circuitHolder = h("div");
  section.replaceChildren(section.firstChild, h("div", { class: "filters" }, workloadChoice, circuitHolder), holder);
  let chart = null;
  const drawCounts = (workloadId, circuit, counts) => {
    const qubits = workloads.find((w) => w.id === workloadId)?.qubits ?? 0;
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, TOP_OUTCOMES);
    const label = (hex) => (qubits && qubits <= 16 ? BigInt(hex).toString(2).padStart(qubits, "0") : hex);
    chart = mountChart(holder, {
      id: "counts-chart",
      label: `Most frequent outcomes of ${workloadId}, circuit ${circuit.name}`,
      caption: `The ${entries.length} most frequent of ${Object.keys(counts).length} distinct outcomes of circuit ${circuit.name}, ${circuit.shots} shots.`,
      columns: ["Outcome", "#Count"],
      rows: entries.map(([o, n]) => [label(o), n]),
      config: {
        type: "bar",
        data: { labels: entries.map(([o]) => label(o)), datasets: [{ label: "Shots", data: entries.map(([, n]) => n), backgroundColor: color(2) }] },
        options: {
          scales: { x: axis(qubits <= 16 ? "Outcome (bitstring, qubit 0 rightmost)" : "Outcome (hexadecimal)"), y: axis("Count (shots)", { beginAtZero: true }) },
          plugins: { legend: { display: false } },
        },
      },
    });
  };
  const draw = (workloadId, name) => {
    chart?.destroy();
    chart = null;
    holder.replaceChildren();
    const circuit = circuits.get(workloadId).find((c) => c.name === name);
    const stats = Object.entries(circuit.statistics ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]);
    holder.append(table({ caption: `Statistics of circuit ${circuit.name} (what the figures are computed from); counts ${circuit.counts_sha256}`, columns: ["Statistic", "Value"], rows: [...Object.entries(circuit.meta ?? {}), ...stats] }));
    if (circuit.counts) {
      drawCounts(workloadId, circuit, circuit.counts);
      return;
    }
    const load = h("button", { type: "button" }, "Download the full counts");
    load.addEventListener("click", async () => {
      load.disabled = true;
      try {
        const path = `/bench/jobs/${encodeURIComponent(benchmarkId)}/counts/${encodeURIComponent(workloadId)}/${encodeURIComponent(circuit.name)}`;
        drawCounts(workloadId, circuit, (await get(path)).counts);
        load.remove();
      } catch (error) {
        holder.append(failure(error));
      }
    });
    holder.append(h("p", {}, "These counts are too wide to travel in the bundle, which keeps their hash. "), load);
  };
  const chooseWorkload = (workloadId) => {
    const names = circuits.get(workloadId).map((c) => c.name);
    const circuitChoice = select("circuit", "Circuit", names.map((n) => [n, n]), names[0]);
    circuitChoice.querySelector("select").addEventListener("change", (event) => draw(workloadId, event.target.value));
    circuitHolder.replaceChildren(circuitChoice);
    draw(workloadId, names[0]);
  };
  workloadChoice.querySelector("select").addEventListener("change", (event) => chooseWorkload(event.target.value));
  chooseWorkload(ids[0]);
}

// ---- backends compared ----------------------------------------------------------------------

const NAMED_METRICS = ["quantum_volume", "eplg", "bseq"];

export async function compare(ctx) {
  const backends = await backendsOf();
  const chosen = (ctx.params.get("backends") ?? "").split(",").filter(Boolean);
  const message = h("p", { class: "error", role: "alert" });
  const form = h("form", { "aria-label": "Choose backends" }, backendChoices(backends, chosen, "Backends to compare (two or more)"), h("p", {}, h("button", { type: "submit" }, "Compare")), message);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const picked = new FormData(form).getAll("backend");
    if (picked.length < 2) message.textContent = "Choose at least two backends.";
    else ctx.navigate(`#/compare${query({ backends: picked.join(",") })}`);
  });
  const results = h("div", { id: "comparison" });
  ctx.view.replaceChildren(h("h1", { tabindex: "-1" }, "Compare backends"), form, results);
  if (chosen.length < 2) return;
  results.append(h("p", { class: "muted" }, "Loading the latest completed run of each backend…"));
  const latest = await Promise.all(chosen.map(async (b) => ({ backend: b, ...(await latestReport(b)) })));
  if (!ctx.alive()) return;
  results.replaceChildren(h("h2", {}, "Fidelity against qubits"));
  const found = latest.filter((l) => l.report);
  const points = (report) => report.workloads.filter((w) => w.fidelity != null).map((w) => ({ x: w.qubits, y: w.fidelity, lo: w.fidelity_ci95?.[0], hi: w.fidelity_ci95?.[1], workload: w.id })).sort((a, b) => a.x - b.x);
  mountChart(results, {
    id: "compare-chart",
    label: `Fidelity against qubits for ${found.map((l) => l.backend).join(", ")}`,
    caption: "Each series is the latest completed run of one backend; vertical bars are 95 % intervals.",
    columns: ["Backend", "Workload", "#Qubits", "#Fidelity", "95 % interval"],
    rows: found.flatMap((l) => points(l.report).map((p) => [l.backend, p.workload, p.x, fmt.fidelity(p.y), fmt.interval(p.lo == null ? null : [p.lo, p.hi])])),
    config: {
      type: "scatter",
      data: {
        datasets: found.map((l, i) => ({ label: l.backend, data: points(l.report), intervals: true, showLine: true, borderDash: [4, 4], borderWidth: 1, pointRadius: 5, pointStyle: POINT_STYLES[i % POINT_STYLES.length], borderColor: color(i), backgroundColor: color(i) })),
      },
      options: {
        scales: { x: axis("Qubits (count, log scale)", { type: "logarithmic", ticks: { callback: logTicks } }), y: axis(FIDELITY_AXIS) },
        plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label} ${item.raw.workload} (${item.raw.x} qubits): ${fmt.fidelity(item.raw.y)} [${fmt.fidelity(item.raw.lo)}, ${fmt.fidelity(item.raw.hi)}]` } } },
      },
    },
  });
  const metric = (report, name) => report.summary?.[name] ?? report.workloads.map((w) => w.metrics?.[name]).find((v) => v != null);
  const rows = latest.map((l) =>
    l.report
      ? [l.backend, runLink(l.run.benchmark_id), modeBadge(l.report.execution_mode), fmt.time(l.report.created_at), fmt.fidelity(l.report.summary.average_fidelity), ...NAMED_METRICS.map((m) => fmt.value(metric(l.report, m)))]
      : [l.backend, "no completed run", null, null, null, null, null, null],
  );
  results.append(h("h2", {}, "Latest run of each backend"), table({ caption: "Latest completed run per backend", columns: ["Backend", "Run", "Execution mode", "Created", "#Average fidelity", "#Quantum volume", "#EPLG", "#BSEQ"], rows }));
}

// ---- history --------------------------------------------------------------------------------

const HISTORY_PAGES = 5;
const HISTORY_RUNS = 50;

export async function history(ctx) {
  const backends = await backendsOf();
  const chosen = ctx.params.get("backend_id") ?? backends[0]?.id ?? "";
  const form = h("form", { class: "filters", "aria-label": "Choose a backend" }, select("backend_id", "Backend", backends.map((b) => [b.id, b.id]), chosen), h("button", { type: "submit" }, "Show history"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate(`#/history${query({ backend_id: new FormData(form).get("backend_id") })}`);
  });
  const results = h("div", { id: "history" }, h("p", { class: "muted" }, "Loading completed runs…"));
  ctx.view.replaceChildren(h("h1", { tabindex: "-1" }, "History of ", chosen), form, results);

  const found = [];
  let cursor = null;
  for (let page = 0; page < HISTORY_PAGES && found.length < HISTORY_RUNS; page++) {
    const answer = await get(runsUrl({ backend_id: chosen, status: "completed", limit: 20, cursor }));
    found.push(...answer.runs);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  const reports = await mapLimit(found.slice(0, HISTORY_RUNS), 4, async (r) => (await get(reportUrl(r.benchmark_id))).report);
  if (!ctx.alive()) return;
  if (!reports.length) {
    results.replaceChildren(h("p", {}, `No completed runs on ${chosen} yet.`));
    return;
  }
  const series = new Map();
  for (const report of reports) {
    for (const w of report.workloads) {
      if (w.fidelity == null) continue;
      if (!series.has(w.id)) series.set(w.id, []);
      series.get(w.id).push({ x: Date.parse(report.created_at), y: w.fidelity, lo: w.fidelity_ci95?.[0], hi: w.fidelity_ci95?.[1], calibration: report.environment?.backend_calibration_timestamp ?? null, run: report.id });
    }
  }
  const times = reports.map((r) => Date.parse(r.created_at));
  const span = Math.max(...times) - Math.min(...times);
  const precision = span < 3600e3 ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : span < 2 * 86400e3 ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" } : { year: "numeric", month: "short", day: "numeric" };
  const shortDate = (ms) => new Date(ms).toLocaleString(undefined, precision);
  results.replaceChildren(h("p", {}, `${reports.length} completed run(s), newest ${fmt.time(reports[0].created_at)}.`));
  mountChart(results, {
    id: "history-chart",
    label: `Fidelity per workload over time on ${chosen}`,
    caption: "One series per workload; vertical bars are 95 % intervals. The tooltip names the calibration each point was measured with.",
    columns: ["Report created", "Workload", "#Fidelity", "95 % interval", "Calibration timestamp", "Run"],
    rows: [...series].flatMap(([id, ps]) => ps.map((p) => [fmt.time(p.x), id, fmt.fidelity(p.y), fmt.interval(p.lo == null ? null : [p.lo, p.hi]), fmt.time(p.calibration), p.run])),
    config: {
      type: "line",
      data: { datasets: [...series].map(([id, ps], i) => ({ label: id, data: ps.sort((a, b) => a.x - b.x), intervals: true, borderColor: color(i), backgroundColor: color(i), pointStyle: POINT_STYLES[i % POINT_STYLES.length], pointRadius: 4 })) },
      options: {
        scales: { x: axis("Report created (local time)", { type: "linear", ticks: { callback: shortDate, maxTicksLimit: 8 } }), y: axis(FIDELITY_AXIS) },
        plugins: {
          tooltip: {
            callbacks: {
              title: (items) => fmt.time(items[0].raw.x),
              label: (item) => `${item.dataset.label}: ${fmt.fidelity(item.raw.y)} [${fmt.fidelity(item.raw.lo)}, ${fmt.fidelity(item.raw.hi)}]`,
              afterLabel: (item) => `Calibration: ${item.raw.calibration ? fmt.time(item.raw.calibration) : "not reported"}`,
            },
          },
        },
      },
    },
  });
}

// ---- campaigns ------------------------------------------------------------------------------

export async function campaigns(ctx) {
  const [list, backends, workloads] = await Promise.all([request(`${API}/campaigns`, { accept: [404, 405] }), backendsOf(), get(`${API}/workloads`)]);
  if (!ctx.alive()) return;
  const heading = h("h1", { tabindex: "-1" }, "Campaigns");
  if (list.status !== 200) {
    ctx.view.replaceChildren(heading, h("p", {}, "This server does not offer campaigns."));
    return;
  }
  const rows = list.data.campaigns.map((c) => [h("a", { href: `#/campaign/${encodeURIComponent(c.campaign_id)}` }, fmt.short(c.campaign_id)), fmt.time(c.created_at), badge(c.status), c.backend_ids.join(", ")]);
  const message = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { "aria-label": "Start a campaign" },
    backendChoices(backends, [], "Backends"),
    h("fieldset", {}, h("legend", {}, "Workloads"), workloads.workloads.map((w) => h("label", {}, h("input", { type: "checkbox", name: "workload", value: w.id, checked: w.qubits <= 10 }), ` ${w.id}`))),
    h("p", {}, h("label", {}, "Shots per circuit ", h("input", { type: "number", name: "shots", min: 1, value: 1000, required: true }))),
    h("button", { type: "submit" }, "Start the campaign"),
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { backend_ids: data.getAll("backend"), workloads: data.getAll("workload"), shots: Number(data.get("shots")) };
    if (body.backend_ids.length < 2) {
      message.textContent = "Choose at least two backends.";
      return;
    }
    try {
      const answer = await request(`${API}/campaigns`, { method: "POST", body });
      ctx.navigate(`#/campaign/${encodeURIComponent(answer.data.campaign_id)}`);
    } catch (error) {
      message.textContent = error.message;
    }
  });
  ctx.view.replaceChildren(
    heading,
    rows.length ? table({ caption: "Campaigns", columns: ["Campaign", "Created", "Status", "Backends"], rows }) : h("p", {}, "No campaigns yet."),
    h("h2", {}, "Start a campaign"),
    form,
  );
}

export async function campaign(ctx) {
  const id = ctx.arg;
  const body = h("div", { id: "campaign", "aria-live": "polite" });
  ctx.view.replaceChildren(h("h1", { tabindex: "-1" }, "Campaign ", h("code", {}, id)), body);
  let shown = null;
  let chart = null;
  while (ctx.alive()) {
    const data = await get(`${API}/campaigns/${encodeURIComponent(id)}`);
    if (!ctx.alive()) return;
    const text = JSON.stringify(data);
    if (text !== shown) {
      shown = text;
      chart?.destroy();
      chart = campaignView(body, data);
    }
    const going = ACTIVE.has(data.status) || Object.values(data.runs).some((r) => ACTIVE.has(r.status));
    if (!going) return;
    await sleep(1000);
  }
}

function campaignView(body, data) {
  const ranking = data.ranking ?? [];
  const order = [...ranking, ...Object.keys(data.runs).filter((b) => !ranking.includes(b))];
  const average = (b) => data.runs[b]?.summary?.average_fidelity ?? null;
  body.replaceChildren(
    h("p", {}, "Status: ", badge(data.status)),
    h("h2", {}, "Ranking"),
    ranking.length ? h("ol", { class: "ranking" }, ranking.map((b) => h("li", {}, `${b}: ${fmt.fidelity(average(b))}`))) : h("p", { class: "muted" }, "No ranking until runs complete."),
    h("h2", {}, "Results per backend"),
    table({ caption: "Runs of the campaign", columns: ["Backend", "Run", "Status", "#Average fidelity", "#Workloads completed"], rows: order.map((b) => {
      const r = data.runs[b] ?? {};
      return [b, r.benchmark_id ? runLink(r.benchmark_id) : null, badge(r.status ?? "unknown"), fmt.fidelity(average(b)), r.summary ? `${r.summary.completed_workloads} of ${r.summary.total_workloads}` : null];
    }) }),
    h("h2", {}, "Average fidelity per backend"),
  );
  const plotted = order.filter((b) => average(b) != null);
  if (!plotted.length) {
    body.append(h("p", { class: "muted" }, "No results yet."));
    return null;
  }
  return mountChart(body, {
    id: "campaign-chart",
    label: "Average fidelity per backend in this campaign",
    caption: "Backends in ranking order; black bars are 95 % intervals of the average where the server gives one.",
    columns: ["Backend", "#Average fidelity", "95 % interval"],
    rows: plotted.map((b) => [b, fmt.fidelity(average(b)), fmt.interval(data.runs[b].average_fidelity_ci95)]),
    config: {
      type: "bar",
      data: { labels: plotted, datasets: [{ label: "Average fidelity", data: plotted.map(average), ci: plotted.map((b) => data.runs[b].average_fidelity_ci95), intervals: true, intervalColor: "#000000", backgroundColor: plotted.map((_, i) => color(i)) }] },
      options: { scales: { x: axis("Backend"), y: axis(FIDELITY_AXIS, { beginAtZero: true, max: 1 }) }, plugins: { legend: { display: false } } },
    },
  });
}

// ---- alerts ---------------------------------------------------------------------------------

export async function alerts(ctx) {
  const found = await get(`${API}/alerts`);
  if (!ctx.alive()) return;
  const rows = found.alerts.map((a) => [
    fmt.time(a.created_at), a.backend_id, a.workload_id,
    h("a", { href: `#/run/${encodeURIComponent(a.benchmark_id)}` }, fmt.short(a.benchmark_id)),
    fmt.fidelity(a.value), fmt.fidelity(a.expected), a.reason,
  ]);
  ctx.view.replaceChildren(
    h("h1", { tabindex: "-1" }, "Drift alerts"),
    h("p", {}, "Scheduled runs whose figure fell below their backend's recent history by more than the intervals explain."),
    rows.length
      ? table({ caption: "Drift alerts, newest first", columns: ["Raised", "Backend", "Workload", "Run", "Value", "Expected", "Why"], rows })
      : h("p", { id: "no-alerts" }, "No drift alerts."),
  );
}
