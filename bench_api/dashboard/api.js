// The public API, called with the key from session storage in the X-API-Key header.
export const API = "/api/v2/bench";
const STORAGE = "qcos-bench.api-key";

export const key = {
  get: () => sessionStorage.getItem(STORAGE),
  set: (value) => sessionStorage.setItem(STORAGE, value),
  clear: () => sessionStorage.removeItem(STORAGE),
};

export class KeyRefused extends Error {
  constructor() {
    super("The API key was refused");
  }
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `The server answered HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// {status, data, text} of one call; statuses in `accept` are answers, not errors.
export async function request(path, { method = "GET", body, accept = [] } = {}) {
  const headers = { "X-API-Key": key.get() ?? "", Accept: "application/json" };
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: `The server answered HTTP ${response.status} without JSON` };
  }
  if (response.status === 401) throw new KeyRefused();
  if (!response.ok && !accept.includes(response.status)) throw new ApiError(response.status, data);
  return { status: response.status, data, text };
}

export const get = async (path) => (await request(path)).data;

// "?a=1&b=2" from the parameters that have a value.
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export const runsUrl = (params) => `${API}/runs${query(params)}`;
export const reportUrl = (id) => `${API}/report/${encodeURIComponent(id)}`;
export const bundleUrl = (id) => `/bench/jobs/${encodeURIComponent(id)}/bundle`;

// The latest completed run of a backend and its report, or null when it has none.
export async function latestReport(backendId) {
  const { runs } = await get(runsUrl({ backend_id: backendId, status: "completed", limit: 1 }));
  if (!runs.length) return null;
  return { run: runs[0], report: (await get(reportUrl(runs[0].benchmark_id))).report };
}

// `action` over `items`, at most `limit` at a time, results in order.
export async function mapLimit(items, limit, action) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await action(items[at]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
