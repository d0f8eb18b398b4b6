// Black-box models behind HTTP: KServe v2 (`POST /v2/models/NAME/infer`) and TensorFlow Serving
// REST (`POST /v1/models/NAME:predict`). Rows are sent in batches with bounded concurrency, an
// optional rate limit, per-request timeouts and retries with backoff on network errors, 429 and 5xx.

import { product, type ProbeModel } from "../model";

export type EndpointProtocol = "kserve" | "tfserving";

export interface EndpointOptions {
  protocol?: EndpointProtocol;
  /** KServe input tensor name (default: from model metadata, else "input"). */
  inputName?: string;
  /** Per-sample input shape (default: from KServe metadata, else one flat row). */
  inputShape?: number[];
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests started per second at most (0: no limit). */
  rateLimit: number;
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** Rows per request. */
  batchSize: number;
  headers?: Record<string, string>;
}

export const DEFAULT_ENDPOINT_OPTIONS: EndpointOptions = { concurrency: 4, rateLimit: 0, timeoutMs: 30_000, retries: 3, batchSize: 64 };

export function isHttpUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

interface Route {
  protocol: EndpointProtocol;
  inferUrl: string;
  metadataUrl?: string;
}

export function routeOf(url: string, protocol?: EndpointProtocol): Route {
  const u = new URL(url);
  const kserve = /^(.*\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?)(\/infer)?\/?$/.exec(u.pathname);
  const tfs = /^(.*\/v1\/models\/[^/:]+(?:\/versions\/[^/:]+)?)(:predict)?\/?$/.exec(u.pathname);
  const base = `${u.protocol}//${u.host}`;
  if ((protocol ?? (kserve ? "kserve" : tfs ? "tfserving" : undefined)) === "kserve" && kserve) {
    return { protocol: "kserve", inferUrl: `${base}${kserve[1]}/infer${u.search}`, metadataUrl: `${base}${kserve[1]}${u.search}` };
  }
  if ((protocol ?? "tfserving") === "tfserving" && tfs) return { protocol: "tfserving", inferUrl: `${base}${tfs[1]}:predict${u.search}` };
  throw new Error(`${url} is neither a KServe v2 (/v2/models/NAME[/infer]) nor a TensorFlow Serving (/v1/models/NAME[:predict]) URL`);
}

class Limiter {
  private active = 0;
  private waiting: Array<() => void> = [];
  private nextStart = 0;
  constructor(private readonly concurrency: number, private readonly rate: number) {}
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      if (this.rate > 0) {
        const now = Date.now();
        const at = Math.max(now, this.nextStart);
        this.nextStart = at + 1000 / this.rate;
        if (at > now) await sleep(at - now);
      }
      return await job();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

class HttpStatusError extends Error {
  constructor(readonly status: number, message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

async function postJson(url: string, body: unknown, o: EndpointOptions, method = "POST"): Promise<unknown> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), o.timeoutMs);
    try {
      const res = await fetch(url, {
        method,
        headers: { "content-type": "application/json", ...(o.headers ?? {}) },
        ...(method === "POST" ? { body: JSON.stringify(body) } : {}),
        signal: controller.signal,
      });
      const text = await res.text();
      if (!res.ok) {
        const retryAfter = Number(res.headers.get("retry-after"));
        throw new HttpStatusError(res.status, `${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
      }
      return JSON.parse(text) as unknown;
    } catch (e) {
      const err = e as Error;
      const retryable = !(err instanceof HttpStatusError) || err.status === 429 || err.status >= 500;
      lastError = err.name === "AbortError" ? new Error(`${url} did not answer within ${o.timeoutMs} ms`) : err;
      if (!retryable || attempt === o.retries) break;
      const wait = err instanceof HttpStatusError && err.retryAfterMs !== undefined ? Math.min(err.retryAfterMs, 10_000) : 100 * 2 ** attempt;
      await sleep(wait);
    } finally {
      clearTimeout(timer);
    }
  }
  throw lastError ?? new Error(`${url} failed`);
}

/** Scores [n, classes] or labels [n] from an endpoint's answer. */
function parseOutputs(protocol: EndpointProtocol, answer: unknown, n: number): { scores?: number[][]; labels?: number[] } {
  let rows: unknown[];
  if (protocol === "kserve") {
    const out = (answer as { outputs?: Array<{ shape?: number[]; data?: unknown[] }> }).outputs?.[0];
    if (!out || !Array.isArray(out.data)) throw new Error("the KServe answer has no outputs[0].data");
    const data = out.data.flat(Infinity) as number[];
    const shape = out.shape ?? [n, data.length / n];
    const width = shape.length >= 2 ? product(shape.slice(1)) : 1;
    if (width === 1) return { labels: data.slice(0, n).map(Number) };
    rows = Array.from({ length: n }, (_, i) => data.slice(i * width, (i + 1) * width));
  } else {
    const preds = (answer as { predictions?: unknown[] }).predictions;
    if (!Array.isArray(preds)) throw new Error("the TensorFlow Serving answer has no predictions array");
    rows = preds.map((p) => {
      if (p !== null && typeof p === "object" && !Array.isArray(p)) {
        const obj = p as Record<string, unknown>;
        const key = ["scores", "probabilities", "logits", "predictions", "classes"].find((k) => k in obj) ?? Object.keys(obj)[0];
        return key === undefined ? undefined : obj[key];
      }
      return p;
    });
  }
  if (rows.length !== n) throw new Error(`the endpoint answered ${rows.length} rows for ${n}`);
  if (rows.every((r) => typeof r === "number" || (Array.isArray(r) && r.length === 1))) return { labels: rows.map((r) => Number(Array.isArray(r) ? r[0] : r)) };
  return { scores: rows.map((r) => (Array.isArray(r) ? (r.flat(Infinity) as number[]).map(Number) : [])) };
}

export async function loadHttpModel(url: string, options: Partial<EndpointOptions>, dataRowSize: number, labelCount: number): Promise<ProbeModel> {
  const o: EndpointOptions = { ...DEFAULT_ENDPOINT_OPTIONS, ...options };
  const route = routeOf(url, o.protocol);
  let inputName = o.inputName;
  let inputShape = o.inputShape;
  let datatype = "FP32";
  if (route.protocol === "kserve" && route.metadataUrl && (!inputName || !inputShape)) {
    try {
      const meta = (await postJson(route.metadataUrl, undefined, { ...o, retries: 0 }, "GET")) as { inputs?: Array<{ name: string; datatype?: string; shape?: number[] }> };
      const first = meta.inputs?.[0];
      if (first) {
        inputName ??= first.name;
        if (first.datatype) datatype = first.datatype;
        const s = (first.shape ?? []).slice(1);
        if (!inputShape && s.length > 0 && s.every((d) => d > 0)) inputShape = s;
      }
    } catch {
      // Metadata is optional in practice; fall back to the flags and the data's row size.
    }
  }
  inputName ??= "input";
  inputShape ??= [dataRowSize];
  const size = product(inputShape);
  const limiter = new Limiter(Math.max(1, o.concurrency), o.rateLimit);

  const requestRows = async (x: Float32Array, n: number): Promise<{ scores?: number[][]; labels?: number[] }> => {
    const rows: number[][] = Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * size, (i + 1) * size)));
    const body =
      route.protocol === "kserve"
        ? { inputs: [{ name: inputName, shape: [n, ...inputShape!], datatype, data: rows.flat() }] }
        : { instances: rows.map((r) => reshapeRow(r, inputShape!)) };
    return parseOutputs(route.protocol, await limiter.run(() => postJson(route.inferUrl, body, o)), n);
  };

  const first = await requestRows(new Float32Array(size), 1);
  const labelsOnly = first.labels !== undefined;
  const numClasses = labelsOnly ? Math.max(labelCount, 2) : (first.scores?.[0]?.length ?? 0);
  if (!labelsOnly && numClasses < 2) throw new Error(`the endpoint answered ${numClasses} scores per row; aigis probes classifiers`);

  const probe: ProbeModel = {
    format: "http",
    inputShape,
    inputSize: size,
    numClasses,
    labelsOnly,
    queries: 0,
    whiteBoxUnavailable: "the model is behind an HTTP endpoint, which gives no gradients",
    async predict(x, n) {
      probe.queries += n;
      const out = new Float32Array(n * numClasses);
      const jobs: Array<Promise<void>> = [];
      for (let s = 0; s < n; s += o.batchSize) {
        const b = Math.min(o.batchSize, n - s);
        jobs.push(
          requestRows(x.subarray(s * size, (s + b) * size), b).then((r) => {
            for (let i = 0; i < b; i++) {
              if (r.labels) {
                const l = r.labels[i]!;
                if (l >= 0 && l < numClasses) out[(s + i) * numClasses + l] = 1;
              } else {
                const row = r.scores![i]!;
                if (row.length !== numClasses) throw new Error(`the endpoint answered ${row.length} scores for a row, earlier ${numClasses}`);
                out.set(row, (s + i) * numClasses);
              }
            }
          }),
        );
      }
      await Promise.all(jobs);
      return out;
    },
    dispose() {},
  };
  return probe;
}

/** Nests a flat row into the per-sample shape, as TensorFlow Serving's row format wants. */
function reshapeRow(row: number[], shape: number[]): unknown {
  if (shape.length <= 1) return row;
  const inner = product(shape.slice(1));
  return Array.from({ length: shape[0]! }, (_, i) => reshapeRow(row.slice(i * inner, (i + 1) * inner), shape.slice(1)));
}
