// Black-box models behind HTTP: KServe v2 / Open Inference Protocol (Triton, Seldon MLServer,
// KServe: `POST /v2/models/NAME/infer`), TensorFlow Serving REST and KServe v1
// (`POST /v1/models/NAME:predict`) and the MLflow scoring server (`POST /invocations`). Rows are
// sent in batches with bounded concurrency, an optional rate limit, per-attempt timeouts that
// cover the whole body, retries with backoff on network errors, 429 and 5xx, and a response-size
// limit enforced while the body streams in. Every answer is validated before a number of it is
// used: a hostile or broken endpoint gets one clear error naming it, never NaN results.

import { UsageError } from "../../core/errors";
import { product, type ProbeModel } from "../model";

export type EndpointProtocol = "kserve" | "tfserving" | "mlflow";
export const ENDPOINT_PROTOCOLS: readonly EndpointProtocol[] = ["kserve", "tfserving", "mlflow"];

export interface EndpointOptions {
  /** Forces the protocol (default: from the URL path). */
  protocol?: EndpointProtocol;
  /** Input tensor name (KServe default: from model metadata, else "input"; TF Serving / MLflow: unnamed). */
  inputName?: string;
  /** Per-sample input shape (default: from KServe metadata, else one flat row). */
  inputShape?: number[];
  /** The output holding class scores or labels, when the model has several (default: chosen by name and shape). */
  outputName?: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests started per second at most (0: no limit). */
  rateLimit: number;
  /** Per attempt, from sending the request to the last byte of the answer. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** Rows per request. */
  batchSize: number;
  headers?: Record<string, string>;
  /** Largest answer accepted, in bytes (default: sized from the request, see responseLimit). */
  maxResponseBytes?: number;
}

export const DEFAULT_ENDPOINT_OPTIONS: EndpointOptions = { concurrency: 4, rateLimit: 0, timeoutMs: 30_000, retries: 3, batchSize: 64 };

/** Answers are at least this large may be: error pages, metadata, one-row answers of big models. */
export const RESPONSE_FLOOR_BYTES = 1 << 20;
/** Per score in the answer: a float64 in JSON is at most 24 characters and a comma; the rest is room for a second output as wide (class ids beside top-k scores), names and whitespace. */
export const RESPONSE_BYTES_PER_VALUE = 64;
/** Scores per row accepted at most (ImageNet-21k has 21,841 classes). */
export const MAX_CLASSES = 50_000;
/** Retry-After is honoured up to this long. */
export const MAX_RETRY_WAIT_MS = 10_000;

/** The default response-size limit for a request of `rows` rows of a model with `classes` classes. */
export function responseLimit(rows: number, classes: number): number {
  return Math.max(RESPONSE_FLOOR_BYTES, rows * Math.max(classes, 2) * RESPONSE_BYTES_PER_VALUE);
}

/** An endpoint that cannot be probed (bad answer, HTTP error, too large, too slow): stops the run with exit code 2. */
export class EndpointError extends UsageError {
  override name = "EndpointError";
  constructor(message: string, readonly retryable = false, readonly status?: number, readonly retryAfterMs?: number) {
    super(message);
  }
}

export function isHttpUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

const SECRET_PARAM = /key|token|secret|sig|pass|auth|cred|session|code/i;

/** The URL as shown in reports and errors: no user info, secret-looking query values masked. */
export function displayUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, "//***@");
  }
  const auth = u.username || u.password ? "***@" : "";
  const params = [...u.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${SECRET_PARAM.test(k) ? "***" : encodeURIComponent(v)}`);
  return `${u.protocol}//${auth}${u.host}${u.pathname}${params.length ? `?${params.join("&")}` : ""}`;
}

/** Masks header values (and their parts, and decoded Basic credentials) in text an endpoint sent back. */
function redactor(headers: Record<string, string> | undefined, url: string): (s: string) => string {
  const secrets = new Set<string>();
  const add = (v: string): void => {
    if (v.length >= 4) secrets.add(v);
  };
  for (const value of Object.values(headers ?? {})) {
    add(value);
    for (const part of value.split(/[\s,;=:]+/)) if (part.length >= 8) add(part);
    const basic = /^basic\s+(\S+)/i.exec(value);
    if (basic) {
      const plain = Buffer.from(basic[1]!, "base64").toString("utf8");
      add(plain);
      for (const part of plain.split(":")) if (part.length >= 4) add(part);
    }
  }
  try {
    const u = new URL(url);
    if (u.username) add(decodeURIComponent(u.username));
    if (u.password) add(decodeURIComponent(u.password));
    for (const [k, v] of u.searchParams) if (SECRET_PARAM.test(k)) add(v);
  } catch {
    // Not a URL: nothing more to mask.
  }
  const list = [...secrets].sort((a, b) => b.length - a.length);
  return (s) => list.reduce((t, secret) => t.split(secret).join("***"), s);
}

interface Route {
  protocol: EndpointProtocol;
  inferUrl: string;
  metadataUrl?: string;
}

export function routeOf(url: string, protocol?: EndpointProtocol): Route {
  const u = new URL(url);
  const kserve = /^(.*\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?)(\/infer)?\/?$/.exec(u.pathname);
  const tfs = /^(.*\/v1\/models\/[^/:]+(?:\/versions\/[^/:]+|\/labels\/[^/:]+)?)(:predict)?\/?$/.exec(u.pathname);
  const mlflow = /\/invocations\/?$/.test(u.pathname);
  const base = `${u.protocol}//${u.host}`;
  const wanted = protocol ?? (kserve ? "kserve" : tfs ? "tfserving" : mlflow ? "mlflow" : undefined);
  if (wanted === "kserve" && kserve) return { protocol: "kserve", inferUrl: `${base}${kserve[1]}/infer${u.search}`, metadataUrl: `${base}${kserve[1]}${u.search}` };
  if (wanted === "tfserving" && tfs) return { protocol: "tfserving", inferUrl: `${base}${tfs[1]}:predict${u.search}`, metadataUrl: `${base}${tfs[1]}/metadata${u.search}` };
  // A forced protocol on another path (a gateway's own route): the URL is used as given.
  if (protocol) return { protocol, inferUrl: url };
  if (wanted === "mlflow") return { protocol: "mlflow", inferUrl: url };
  throw new UsageError(
    `${displayUrl(url)} is not a KServe v2 (/v2/models/NAME[/infer]), TensorFlow Serving (/v1/models/NAME[:predict]) or MLflow (/invocations) URL; --protocol forces one`,
  );
}

/** At most `concurrency` jobs at once; `pace` spaces request starts to `rate` per second. */
class Limiter {
  private active = 0;
  private waiting: Array<() => void> = [];
  private nextStart = 0;
  constructor(private readonly concurrency: number, private readonly rate: number) {}
  async run<T>(job: () => Promise<T>): Promise<T> {
    // A finished job hands its slot straight to the next waiter, so no newcomer slips in between.
    if (this.active >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
  /** Waits for the next start allowed by the rate limit: every attempt, retries included, is paced. */
  async pace(): Promise<void> {
    if (this.rate <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.nextStart);
    this.nextStart = at + 1000 / this.rate;
    if (at > now) await sleep(at - now);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Printable, one-line, short: what an endpoint said, for an error message. */
function snippet(text: string, max = 200): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The message of a JSON error body (TF Serving / Triton `error`, MLflow `message`), else the text. */
function errorText(text: string): string {
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    const e = doc["error"] ?? doc["message"] ?? doc["detail"];
    if (typeof e === "string") return snippet(`${typeof doc["error_code"] === "string" ? `${doc["error_code"]}: ` : ""}${e}`);
    if (e && typeof e === "object" && typeof (e as Record<string, unknown>)["message"] === "string") return snippet((e as Record<string, string>)["message"]!);
  } catch {
    // Not JSON: the text itself.
  }
  return snippet(text);
}

/** Reads a body up to `limit` bytes; a longer one is cut while it streams in. */
async function readLimited(res: Response, limit: number, where: string): Promise<string> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw new EndpointError(`${where} announced an answer of ${declared} bytes, more than the limit of ${limit} (--max-response-bytes; --output-name asks a KServe server for one output)`);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new EndpointError(`${where} answered more than the limit of ${limit} bytes (--max-response-bytes; --output-name asks a KServe server for one output)`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

interface Transport {
  /** One request with retries; the parsed JSON answer. */
  call(url: string, body: unknown, limit: number, method?: "GET" | "POST", retries?: number): Promise<unknown>;
  redact: (s: string) => string;
  where: string;
}

/** Header names must be HTTP tokens and values single lines; errors never show a value. */
function checkHeaders(headers: Record<string, string> | undefined): void {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError(`invalid header name '${snippet(name, 40)}' (letters, digits and !#$%&'*+.^_\`|~-)`);
    if (/[\r\n\0]/.test(value)) throw new UsageError(`the value of header ${name} holds a line break or NUL (the value is not shown)`);
  }
}

function transport(endpointUrl: string, o: EndpointOptions, pace: () => Promise<void>): Transport {
  checkHeaders(o.headers);
  const redact = redactor(o.headers, endpointUrl);
  const where = `endpoint ${redact(displayUrl(endpointUrl))}`;
  const attempt = async (url: string, body: unknown, limit: number, method: "GET" | "POST"): Promise<unknown> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), o.timeoutMs);
    try {
      const res = await fetch(url, {
        method,
        headers: { accept: "application/json", ...(method === "POST" ? { "content-type": "application/json" } : {}), ...(o.headers ?? {}) },
        ...(method === "POST" ? { body: JSON.stringify(body) } : {}),
        signal: controller.signal,
        // Never followed: a redirect would send the headers (tokens) and the data to wherever it points.
        redirect: "manual",
      });
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => undefined);
        const location = res.headers.get("location");
        let target = "another address";
        if (location) {
          try {
            target = displayUrl(new URL(location, url).toString());
          } catch {
            target = snippet(redact(location), 100);
          }
        }
        throw new EndpointError(`${where} redirects (HTTP ${res.status}) to ${redact(target)}; aigis does not follow redirects: probe the final URL`);
      }
      if (!res.ok) {
        const text = await readLimited(res, Math.min(limit, 64 * 1024), where).catch(() => "");
        const retryAfter = Number(res.headers.get("retry-after"));
        const retryable = res.status === 429 || res.status >= 500 || res.status === 408;
        throw new EndpointError(`${where} answered HTTP ${res.status}${text ? `: ${errorText(redact(text))}` : ""}`, retryable, res.status, Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined);
      }
      const text = await readLimited(res, limit, where);
      return parseJson(text, res.headers.get("content-type") ?? "", where, redact);
    } catch (e) {
      if (e instanceof EndpointError) throw e;
      if ((e as Error).name === "AbortError" || controller.signal.aborted) throw new EndpointError(`${where} did not answer within ${o.timeoutMs} ms (--timeout)`, true);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new EndpointError(`${where} is unreachable: ${snippet(redact(cause?.code ?? cause?.message ?? (e as Error).message), 120)}`, true);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    redact,
    where,
    async call(url, body, limit, method = "POST", retries = o.retries) {
      for (let n = 0; ; n++) {
        try {
          await pace();
          return await attempt(url, body, limit, method);
        } catch (e) {
          const err = e as EndpointError;
          if (!err.retryable || n >= retries) throw err;
          await sleep(err.retryAfterMs !== undefined ? Math.min(err.retryAfterMs, MAX_RETRY_WAIT_MS) : Math.min(100 * 2 ** n, MAX_RETRY_WAIT_MS));
        }
      }
    },
  };
}

function parseJson(text: string, contentType: string, where: string, redact: (s: string) => string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // TF Serving and Python's json module write NaN and Infinity as bare tokens, which JSON does not have.
    if (/(^|[\s,[:])-?(NaN|Infinity)(?=[\s,\]}])/.test(text)) throw new EndpointError(`${where} answered non-finite scores (NaN or Infinity)`);
    const kind = /^\s*</.test(text) || /html/i.test(contentType) ? "an HTML page" : text.trim() === "" ? "an empty body" : "text that is not JSON";
    throw new EndpointError(`${where} answered ${kind} instead of JSON${text.trim() ? `: ${snippet(redact(text), 120)}` : ""}`);
  }
}

/** The endpoint as named in errors, and how text it sent is shown: secrets masked first, then cut short. */
export class Where {
  constructor(readonly label: string, readonly redact: (s: string) => string = (s) => s) {}
  toString(): string {
    return this.label;
  }
  show(text: string, max = 200): string {
    return snippet(this.redact(text), max);
  }
}

/** One output of an answer, per row: `width` values each, flat. */
interface Column {
  name: string;
  width: number;
  values: unknown[];
  /** Declared an integer datatype (KServe INT8..INT64, UINT8..UINT64, BOOL). */
  integer?: boolean;
}

/** What the model said for n rows. */
export type Answer = { kind: "scores"; width: number; values: number[] } | { kind: "labels"; labels: number[] } | { kind: "top-k"; k: number; classes: number[]; scores: number[] };

const MAX_NESTING = 8;

/** Flattens nested arrays (at most MAX_NESTING deep) into `out`; false when nesting is deeper or an element is an object. */
function flattenInto(v: unknown, out: unknown[], depth = 0): boolean {
  if (!Array.isArray(v)) {
    out.push(v);
    return true;
  }
  if (depth >= MAX_NESTING) return false;
  for (const x of v) if (!flattenInto(x, out, depth + 1)) return false;
  return true;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const NUMERIC_DATATYPES = new Set(["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BF16"]);

/** KServe v2: outputs[] with a row-major `data` of `shape` [n, ...]. */
function kserveColumns(answer: unknown, n: number, where: Where): Column[] {
  const outputs = isObject(answer) ? answer["outputs"] : undefined;
  if (!Array.isArray(outputs) || outputs.length === 0) throw new EndpointError(`${where} answered without outputs[] (not a KServe v2 inference response)`);
  return outputs.map((o, i) => {
    if (!isObject(o)) throw new EndpointError(`${where}: outputs[${i}] is not an object`);
    const name = typeof o["name"] === "string" ? o["name"] : `outputs[${i}]`;
    const datatype = typeof o["datatype"] === "string" ? o["datatype"].toUpperCase() : undefined;
    if (datatype === "BYTES") throw new EndpointError(`${where}: output ${where.show(name, 60)} holds strings (BYTES); aigis needs numeric scores or class ids`);
    if (datatype !== undefined && !NUMERIC_DATATYPES.has(datatype)) throw new EndpointError(`${where}: output ${where.show(name, 60)} has datatype ${where.show(datatype, 20)}, not a numeric one`);
    if (!Array.isArray(o["data"])) throw new EndpointError(`${where}: output ${where.show(name, 60)} has no data array${o["parameters"] && isObject(o["parameters"]) && "binary_data_size" in o["parameters"] ? " (binary data was sent; aigis reads JSON data)" : ""}`);
    const values: unknown[] = [];
    if (!flattenInto(o["data"], values)) throw new EndpointError(`${where}: output ${where.show(name, 60)} nests its data too deeply`);
    const shape = o["shape"];
    let width: number;
    if (Array.isArray(shape) && shape.length > 0) {
      if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) throw new EndpointError(`${where}: output ${where.show(name, 60)} has an invalid shape`);
      const dims = shape as number[];
      if (dims[0] !== n) throw new EndpointError(`${where} answered ${dims[0]} rows in output ${where.show(name, 60)} for ${n} sent`);
      width = dims.length >= 2 ? product(dims.slice(1)) : 1;
      if (values.length !== product(dims)) throw new EndpointError(`${where}: output ${where.show(name, 60)} has ${values.length} values for shape [${dims.join(", ")}]`);
    } else {
      if (values.length % n !== 0) throw new EndpointError(`${where}: output ${where.show(name, 60)} has ${values.length} values, not a multiple of the ${n} rows sent`);
      width = values.length / n;
    }
    return { name, width, values, ...(datatype ? { integer: /INT|BOOL/.test(datatype) } : {}) };
  });
}

/** Rows of a list answer (one entry per row) as one column; list entries that are objects are named outputs. */
function rowColumns(rows: unknown[], n: number, where: Where): Column[] {
  if (rows.length !== n) throw new EndpointError(`${where} answered ${rows.length} rows for ${n} sent`);
  if (rows.length > 0 && rows.every(isObject)) {
    const names = Object.keys(rows[0] as Record<string, unknown>);
    // A pandas DataFrame answered as records with one column per class ("0", "1", ...): a row of scores.
    if (names.length >= 2 && names.every((k, i) => k === String(i)) && rows.every((r) => names.every((k) => !Array.isArray((r as Record<string, unknown>)[k])))) {
      return [columnOf("predictions", rows.map((r) => names.map((k) => (r as Record<string, unknown>)[k])), where)];
    }
    return names.map((name) => columnOf(name, rows.map((r) => (r as Record<string, unknown>)[name]), where));
  }
  return [columnOf("predictions", rows, where)];
}

function columnOf(name: string, rows: unknown[], where: Where): Column {
  let width = -1;
  const values: unknown[] = [];
  for (const row of rows) {
    const before = values.length;
    if (!flattenInto(row, values)) throw new EndpointError(`${where}: output ${where.show(name, 60)} nests its rows too deeply`);
    const w = values.length - before;
    if (width >= 0 && w !== width) throw new EndpointError(`${where} answered rows of different widths (${width} and ${w}) in output ${where.show(name, 60)}`);
    width = w;
  }
  // Whole numbers and strings throughout (TF Estimator's class_ids, all_classes): ids, not scores.
  const integer = values.length > 0 && values.every((v) => typeof v === "string" || (typeof v === "number" && Number.isInteger(v)));
  return { name, width: Math.max(width, 0), values, integer };
}

/** Columnar answers: a list of rows, or an object of named outputs each a list of rows. */
function columnarColumns(out: unknown, n: number, where: Where): Column[] {
  if (Array.isArray(out)) return rowColumns(out, n, where);
  if (isObject(out)) {
    return Object.entries(out).map(([name, v]) => {
      if (!Array.isArray(v)) throw new EndpointError(`${where}: output ${where.show(name, 60)} is not a list of rows`);
      if (v.length !== n) throw new EndpointError(`${where} answered ${v.length} rows in output ${where.show(name, 60)} for ${n} sent`);
      return columnOf(name, v, where);
    });
  }
  throw new EndpointError(`${where} answered neither a list nor an object of outputs`);
}

function answerColumns(protocol: EndpointProtocol, answer: unknown, n: number, where: Where): Column[] {
  if (protocol === "kserve") return kserveColumns(answer, n, where);
  if (isObject(answer) && typeof answer["error"] === "string") throw new EndpointError(`${where} answered an error: ${where.show(answer["error"])}`);
  if (protocol === "tfserving") {
    // Row format answers `predictions`; columnar (`inputs`) requests get `outputs`.
    if (isObject(answer) && "predictions" in answer) return columnarColumns(answer["predictions"], n, where);
    if (isObject(answer) && "outputs" in answer) return columnarColumns(answer["outputs"], n, where);
    throw new EndpointError(`${where} answered without predictions (not a TensorFlow Serving predict response)`);
  }
  // MLflow 2.x wraps the predictions; 1.x answered the bare list.
  if (isObject(answer) && "predictions" in answer) return columnarColumns(answer["predictions"], n, where);
  if (Array.isArray(answer)) return columnarColumns(answer, n, where);
  throw new EndpointError(`${where} answered without predictions (not an MLflow scoring response)`);
}

/** The MLServer scikit-learn runtime's probability output, returned only when asked for. */
const SKLEARN_PROBABILITIES = "predict_proba";
const SCORE_NAME = /prob|score|logit|softmax|confidence|output_probability/i;
const LABEL_NAME = /^(classes|class_ids|class|indices|labels?|predict|predictions?|output_label|top_?k_?(classes|indices))$/i;
const TOPK_SCORES = /^(scores|probabilities|probs|values|top_?k_?(scores|values|probabilities))$/i;

/** Picks the output that holds the class scores (or labels) when the model answers several. */
function pickColumns(columns: Column[], outputName: string | undefined, where: Where): { main: Column; classes?: Column } {
  const names = (): string => columns.map((c) => where.show(c.name, 40)).join(", ");
  if (outputName !== undefined) {
    const main = columns.find((c) => c.name === outputName);
    if (!main) throw new EndpointError(`${where} has no output named ${where.show(outputName, 60)} (outputs: ${names()})`);
    return { main };
  }
  if (columns.length === 1) return { main: columns[0]! };
  // Top-k: class ids beside their scores, same width (TF Estimator `classes` + `scores`).
  const ids = columns.find((c) => LABEL_NAME.test(c.name) && c.width >= 1);
  const paired = ids && columns.find((c) => c !== ids && TOPK_SCORES.test(c.name) && c.width === ids.width);
  if (ids && paired) return { main: paired, classes: ids };
  const wide = columns.filter((c) => c.width >= 2 && c.integer !== true);
  const main =
    wide.find((c) => SCORE_NAME.test(c.name)) ??
    wide[0] ??
    columns.find((c) => c.width === 1 && LABEL_NAME.test(c.name)) ??
    columns.find((c) => c.width === 1) ??
    columns.find((c) => c.width >= 2);
  if (!main) throw new EndpointError(`${where} answered no output of class scores or labels (outputs: ${names()}); --output-name picks one`);
  return { main };
}

function finiteNumbers(values: unknown[], what: string, where: Where): number[] {
  return values.map((v) => {
    if (typeof v !== "number") throw new EndpointError(`${where} answered ${v === null ? "null" : typeof v === "string" ? `a string (${where.show(v, 30)})` : typeof v === "object" ? "an object" : `a ${typeof v}`} among ${what}`);
    if (!Number.isFinite(v)) throw new EndpointError(`${where} answered non-finite ${what}`);
    return v;
  });
}

function classIds(values: unknown[], what: string, where: Where): number[] {
  return values.map((v) => {
    // TF Serving classification outputs carry class ids as strings ("3").
    const x = typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : typeof v === "boolean" ? Number(v) : v;
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0) throw new EndpointError(`${where} answered ${where.show(JSON.stringify(v) ?? String(v), 30)} among ${what}; class ids must be whole numbers from 0`);
    return x;
  });
}

/** Scores [n, width], labels [n] or top-k (class ids and scores [n, k]) from an endpoint's answer, validated. */
export function parseAnswer(protocol: EndpointProtocol, answer: unknown, n: number, where: Where, outputName?: string): Answer {
  const { main, classes } = pickColumns(answerColumns(protocol, answer, n, where), outputName, where);
  if (main.values.length !== n * main.width) throw new EndpointError(`${where} answered ${main.values.length / Math.max(main.width, 1)} rows for ${n} sent`);
  if (classes) {
    const ids = classIds(classes.values, `the class ids of output ${where.show(classes.name, 40)}`, where);
    return { kind: "top-k", k: main.width, classes: ids, scores: finiteNumbers(main.values, "scores", where) };
  }
  if (main.width === 0) throw new EndpointError(`${where} answered empty rows`);
  if (main.width === 1) {
    // One value per row: class ids, or a binary classifier's probability of class 1 (a sigmoid output).
    const probability = main.values.some((v) => typeof v === "number" && !Number.isInteger(v)) && main.values.every((v) => typeof v === "number" && v >= 0 && v <= 1);
    if (!probability) return { kind: "labels", labels: classIds(main.values, "labels", where) };
    return { kind: "scores", width: 2, values: (main.values as number[]).flatMap((p) => [1 - p, p]) };
  }
  return { kind: "scores", width: main.width, values: finiteNumbers(main.values, "scores", where) };
}

/** Nests a flat row into the per-sample shape, as row-format JSON wants. */
function reshapeRow(row: number[], shape: number[]): unknown {
  if (shape.length <= 1) return row;
  const inner = product(shape.slice(1));
  return Array.from({ length: shape[0]! }, (_, i) => reshapeRow(row.slice(i * inner, (i + 1) * inner), shape.slice(1)));
}

/** KServe model metadata: the first input's name, datatype and per-sample shape when it is fixed. */
async function kserveMetadata(t: Transport, url: string): Promise<{ name?: string; datatype?: string; shape?: number[] }> {
  try {
    const meta = await t.call(url, undefined, RESPONSE_FLOOR_BYTES, "GET", 0);
    const first = isObject(meta) && Array.isArray(meta["inputs"]) ? (meta["inputs"] as unknown[])[0] : undefined;
    if (!isObject(first)) return {};
    const dims = Array.isArray(first["shape"]) ? (first["shape"] as unknown[]).slice(1) : [];
    const shape = dims.length > 0 && dims.every((d) => Number.isInteger(d) && (d as number) > 0) ? (dims as number[]) : undefined;
    const datatype = typeof first["datatype"] === "string" && /^(FP16|FP32|FP64|BF16)$/.test(first["datatype"]) ? first["datatype"] : undefined;
    return { ...(typeof first["name"] === "string" ? { name: first["name"] } : {}), ...(datatype ? { datatype } : {}), ...(shape ? { shape } : {}) };
  } catch {
    // Metadata is optional in practice; the flags and the data's row size decide.
    return {};
  }
}

/** fetch refuses URLs with credentials: they become a Basic Authorization header (unless one is given). */
function credentialsToHeader(url: string, o: EndpointOptions): { url: string; o: EndpointOptions } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url, o };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64");
  const given = Object.keys(o.headers ?? {}).some((h) => h.toLowerCase() === "authorization");
  u.username = "";
  u.password = "";
  return { url: u.toString(), o: given ? o : { ...o, headers: { ...(o.headers ?? {}), authorization: `Basic ${basic}` } } };
}

/** TF Serving model metadata: the per-sample shape of the serving signature's single input, when fixed. */
async function tfServingShape(t: Transport, url: string): Promise<number[] | undefined> {
  try {
    const meta = await t.call(url, undefined, RESPONSE_FLOOR_BYTES, "GET", 0);
    const defs = (((meta as Record<string, unknown>)["metadata"] as Record<string, unknown> | undefined)?.["signature_def"] as Record<string, unknown> | undefined)?.["signature_def"];
    if (!isObject(defs)) return undefined;
    const signature = defs["serving_default"] ?? Object.values(defs)[0];
    const inputs = isObject(signature) && isObject(signature["inputs"]) ? Object.values(signature["inputs"]) : [];
    if (inputs.length !== 1 || !isObject(inputs[0])) return undefined;
    const dim = (inputs[0]["tensor_shape"] as Record<string, unknown> | undefined)?.["dim"];
    if (!Array.isArray(dim)) return undefined;
    // Sizes are int64 written as strings; -1 is the batch axis or a free one.
    const sizes = dim.slice(1).map((d) => Number(isObject(d) ? d["size"] : NaN));
    return sizes.length > 0 && sizes.every((d) => Number.isInteger(d) && d > 0) ? sizes : undefined;
  } catch {
    return undefined;
  }
}

export async function loadHttpModel(endpointUrl: string, options: Partial<EndpointOptions>, dataRowSize: number, labelCount: number): Promise<ProbeModel> {
  const { url, o } = credentialsToHeader(endpointUrl, { ...DEFAULT_ENDPOINT_OPTIONS, ...options });
  const route = routeOf(url, o.protocol);
  const limiter = new Limiter(Math.max(1, o.concurrency), o.rateLimit);
  const t = transport(url, o, () => limiter.pace());
  const where = t.where;
  const parseWhere = new Where(where, t.redact);
  let inputName = o.inputName;
  let inputShape = o.inputShape;
  let datatype = "FP32";
  if (route.protocol === "kserve" && route.metadataUrl && (!inputName || !inputShape)) {
    const meta = await kserveMetadata(t, route.metadataUrl);
    inputName ??= meta.name;
    if (meta.datatype) datatype = meta.datatype;
    if (!inputShape && meta.shape) inputShape = meta.shape;
  }
  if (route.protocol === "tfserving" && route.metadataUrl && !inputShape) inputShape = await tfServingShape(t, route.metadataUrl);
  const shape = inputShape ?? [dataRowSize];
  const size = product(shape);
  // Checked before anything is sent: a metadata shape is the server's word, and a hostile one
  // ([-1, 1e9]) would otherwise size the first request.
  if (size !== dataRowSize) {
    const from = o.inputShape ? "--input-shape" : "the endpoint's metadata";
    throw new EndpointError(`${where}: ${from} gives the input shape [${shape.join(", ")}] (${size} values) but the data rows have ${dataRowSize} values${o.inputShape ? "" : "; --input-shape overrides it"}`);
  }
  let outputName = o.outputName;
  let classesForLimit = Math.max(labelCount, 2);

  const requestBody = (x: Float32Array, n: number): unknown => {
    const rows: number[][] = Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * size, (i + 1) * size)));
    if (route.protocol === "kserve") {
      return {
        inputs: [{ name: inputName ?? "input", shape: [n, ...shape], datatype, data: rows.flat() }],
        ...(outputName !== undefined ? { outputs: [{ name: outputName }] } : {}),
      };
    }
    const nested = rows.map((r) => reshapeRow(r, shape));
    if (route.protocol === "tfserving") return { instances: inputName ? nested.map((r) => ({ [inputName!]: r })) : nested };
    return { inputs: inputName ? { [inputName]: nested } : nested };
  };
  const request = async (x: Float32Array, n: number): Promise<Answer> => {
    const limit = o.maxResponseBytes ?? responseLimit(n, classesForLimit);
    const answer = await limiter.run(() => t.call(route.inferUrl, requestBody(x, n), limit));
    return parseAnswer(route.protocol, answer, n, parseWhere, outputName);
  };

  let first = await request(new Float32Array(size), 1);
  const loaderNotes: string[] = [];
  if (first.kind === "labels" && route.protocol === "kserve" && outputName === undefined) {
    // Seldon MLServer's scikit-learn runtime answers `predict` (labels) by default and
    // `predict_proba` to whoever asks for it: what an attacker can get is what is probed.
    outputName = SKLEARN_PROBABILITIES;
    const asked = await request(new Float32Array(size), 1).catch(() => undefined);
    if (asked?.kind === "scores") {
      first = asked;
      loaderNotes.push(`The endpoint answers labels by default but gives its ${SKLEARN_PROBABILITIES} output to any client that asks (outputs: [{"name": "${SKLEARN_PROBABILITIES}"}]); it was probed with those probabilities.`);
    } else outputName = undefined;
  }
  let numClasses: number;
  let topK: number | undefined;
  if (first.kind === "scores") {
    numClasses = first.width;
    if (numClasses > MAX_CLASSES) throw new EndpointError(`${where} answers ${numClasses} scores per row; aigis probes classifiers with at most ${MAX_CLASSES} classes`);
    if (numClasses < labelCount) throw new EndpointError(`${where} answers ${numClasses} scores per row but the data's labels go up to ${labelCount - 1}`);
  } else {
    // Labels and top-k answers do not say how many classes there are: the data's labels do, plus
    // one class standing for every class id beyond them (a wrong answer for every row).
    if (labelCount > MAX_CLASSES) throw new EndpointError(`${where} answers ${first.kind === "labels" ? "labels" : "top-k classes"}, so the data's labels give the class count, and they go up to ${labelCount - 1}; aigis probes classifiers with at most ${MAX_CLASSES} classes`);
    numClasses = Math.max(labelCount, 2) + 1;
    if (first.kind === "top-k" && first.k < numClasses - 1) topK = first.k;
  }
  const other = numClasses - 1;
  classesForLimit = numClasses;
  const labelsOnly = first.kind === "labels";
  const kind = first.kind;

  const fill = (a: Answer, out: Float32Array, offset: number, n: number): void => {
    if (a.kind !== kind) throw new EndpointError(`${where} answered ${a.kind} after answering ${kind}`);
    const range = (c: number): number => Math.min(c, other);
    if (a.kind === "labels") {
      for (let i = 0; i < n; i++) out[(offset + i) * numClasses + range(a.labels[i]!)] = 1;
    } else if (a.kind === "scores") {
      if (a.width !== numClasses) throw new EndpointError(`${where} answered ${a.width} scores for a row, earlier ${numClasses}`);
      for (let i = 0; i < n * numClasses; i++) out[offset * numClasses + i] = a.values[i]!;
    } else {
      for (let i = 0; i < n; i++) {
        const row = out.subarray((offset + i) * numClasses, (offset + i + 1) * numClasses);
        const ids = a.classes.slice(i * a.k, (i + 1) * a.k).map(range);
        const given = a.scores.slice(i * a.k, (i + 1) * a.k);
        // Classes left out of the top k rank below every given one: probabilities share the
        // remaining mass evenly (which stays at or below the k-th score); raw scores sit just below the lowest.
        const sum = given.reduce((t, v) => t + v, 0);
        const isProb = given.every((v) => v >= 0 && v <= 1) && sum <= 1 + 1e-3;
        const rest = numClasses - new Set(ids).size;
        let low = Infinity;
        for (const v of given) low = Math.min(low, v);
        row.fill(isProb ? (rest > 0 ? Math.max(0, 1 - sum) / rest : 0) : low - 1);
        const seen = new Set<number>();
        ids.forEach((c, j) => {
          // Several ids beyond the data's labels share the last class: it keeps the highest score.
          row[c] = seen.has(c) ? Math.max(row[c]!, given[j]!) : given[j]!;
          seen.add(c);
        });
      }
    }
  };

  const probe: ProbeModel = {
    format: "http",
    inputShape: shape,
    inputSize: size,
    numClasses,
    labelsOnly,
    ...(topK !== undefined ? { topK } : {}),
    notes: [
      ...loaderNotes,
      ...(first.kind !== "scores"
        ? [`The endpoint answers ${first.kind === "labels" ? "labels only" : `its top ${first.k} classes only`}, not how many classes it has: classes are the data's labels 0..${other - 1} and class ${other} for any other class id it answers.`]
        : []),
    ],
    queries: 0,
    whiteBoxUnavailable: "the model is behind an HTTP endpoint, which gives no gradients",
    async predict(x, n) {
      probe.queries += n;
      const out = new Float32Array(n * numClasses);
      const jobs: Array<Promise<void>> = [];
      for (let s = 0; s < n; s += o.batchSize) {
        const b = Math.min(o.batchSize, n - s);
        jobs.push(request(x.subarray(s * size, (s + b) * size), b).then((a) => fill(a, out, s, b)));
      }
      // Every job settles before an error is raised, so no request outlives the call.
      const settled = await Promise.allSettled(jobs);
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      return out;
    },
    dispose() {},
  };
  return probe;
}
