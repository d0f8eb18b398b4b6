/** @jest-environment ./test/probes/ort-environment.js */
// Endpoints that misbehave, served for real by node:http on loopback: bodies that never end, bodies
// that stall after the headers, invalid answers, HTML error pages with 200, redirects to another
// origin, tokens echoed back. Each must give one clear error naming the endpoint (exit code 2
// through the CLI), never NaN results, a crash, a hang or unbounded memory.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { EndpointError, loadHttpModel, parseAnswer, responseLimit, RESPONSE_FLOOR_BYTES, Where } from "../../src/probes/loaders/http";
import { runProbe } from "../../src/probes/run";
import { runCli } from "../helpers/cli";

const ROOT = join(__dirname, "../..");
const DATA = "fixtures/models/digits_test.csv";
const TOKEN = "s3cr3t-T0ken-9f8e7d6c5b4a";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface TestServer {
  base: string;
  server: Server;
  hits: Map<string, number>;
  /** Bytes the server wrote per path before the client went away. */
  written: Map<string, number>;
}

async function serve(routes: Record<string, Handler>): Promise<TestServer> {
  const hits = new Map<string, number>();
  const written = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0]!;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const route = routes[path];
      if (!route) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `no route ${path}` }));
        return;
      }
      const write = res.write.bind(res);
      res.write = ((chunk: string | Buffer, ...rest: unknown[]) => {
        written.set(path, (written.get(path) ?? 0) + Buffer.byteLength(chunk));
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof res.write;
      route(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits, written };
}

function json(res: ServerResponse, code: number, doc: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { "content-type": "application/json", ...headers });
  res.end(typeof doc === "string" ? doc : JSON.stringify(doc));
}

/** Rows sent in a KServe request. */
function rowsOf(body: string): number {
  return (JSON.parse(body) as { inputs: Array<{ shape: number[] }> }).inputs[0]!.shape[0]!;
}

/** A KServe answer of `width` scores per row from `score(row, class)`. */
function kserveScores(n: number, width: number, score: (i: number, c: number) => unknown = (i, c) => (c === i % width ? 0.9 : 0.1 / (width - 1))): unknown {
  return { model_name: "m", outputs: [{ name: "probabilities", datatype: "FP32", shape: [n, width], data: Array.from({ length: n * width }, (_, j) => score(Math.floor(j / width), j % width)) }] };
}

let hostile: TestServer;
let elsewhere: TestServer;
const endless = { stopped: false };

beforeAll(async () => {
  elsewhere = await serve({ "/v2/models/m/infer": (_q, res, body) => json(res, 200, kserveScores(rowsOf(body), 10)) });
  hostile = await serve({
    // A body that never ends: 64 KiB chunks as fast as the socket takes them, until the client leaves.
    "/v2/models/endless/infer": (req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = `{"outputs":[{"name":"p","data":[${"0.1,".repeat(16_000)}`;
      const pump = (): void => {
        while (!res.destroyed && !endless.stopped && res.write(chunk));
        if (!res.destroyed && !endless.stopped) res.once("drain", pump);
      };
      req.socket.on("close", () => res.destroy());
      pump();
    },
    // 64 MiB of JSON whitespace in about 64 KiB of gzip: the limit counts what is decompressed.
    "/v2/models/gzip-bomb/infer": (_q, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(Buffer.concat([Buffer.from('{"outputs":'), Buffer.alloc(64 * 1024 * 1024, 0x20), Buffer.from("[]}")])));
    },
    "/v2/models/announced/infer": (_q, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(5 * 1024 * 1024 * 1024) });
      res.write("{");
    },
    // Headers, the start of a body, then nothing.
    "/v2/models/stall/infer": (req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"outputs":[{"name":"p","data":[0.1,');
      req.socket.on("close", () => res.destroy());
    },
    "/v1/models/nan:predict": (_q, res) => json(res, 200, '{"predictions": [[NaN, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0]]}'),
    "/v1/models/infinity:predict": (_q, res) => json(res, 200, '{"predictions": [[-Infinity, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0]]}'),
    "/v1/models/strings:predict": (_q, res) => json(res, 200, { predictions: [["0.1", 0.9, 0, 0, 0, 0, 0, 0, 0, 0]] }),
    "/v1/models/nulls:predict": (_q, res) => json(res, 200, { predictions: [[null, 0.9, 0, 0, 0, 0, 0, 0, 0, 0]] }),
    "/v2/models/ragged/infer": (_q, res, body) => {
      const n = rowsOf(body);
      json(res, 200, { outputs: [{ name: "p", datatype: "FP32", shape: [n, 10], data: Array(n * 10 - 1).fill(0.1) }] });
    },
    "/v1/models/ragged:predict": (_q, res, body) => {
      const n = (JSON.parse(body) as { instances: unknown[] }).instances.length;
      json(res, 200, { predictions: Array.from({ length: n + 1 }, (_, i) => Array(i === 1 ? 9 : 10).fill(0.1)) });
    },
    "/v2/models/narrow/infer": (_q, res, body) => json(res, 200, kserveScores(rowsOf(body), 5)),
    "/v2/models/fraction/infer": (_q, res, body) => json(res, 200, { outputs: [{ name: "label", datatype: "FP64", shape: [rowsOf(body)], data: Array(rowsOf(body)).fill(2.5) }] }),
    "/v2/models/negative/infer": (_q, res, body) => json(res, 200, { outputs: [{ name: "label", datatype: "INT64", shape: [rowsOf(body)], data: Array(rowsOf(body)).fill(-1) }] }),
    "/v2/models/rows/infer": (_q, res, body) => json(res, 200, kserveScores(rowsOf(body) + 1, 10)),
    "/v2/models/wide/infer": (_q, res, body) => json(res, 200, { outputs: [{ name: "p", datatype: "FP32", shape: [rowsOf(body), 60_000], data: Array(rowsOf(body) * 60_000).fill(0) }] }),
    "/v2/models/bytes/infer": (_q, res, body) => json(res, 200, { outputs: [{ name: "label", datatype: "BYTES", shape: [rowsOf(body)], data: Array(rowsOf(body)).fill("cat") }] }),
    "/v2/models/html/infer": (_q, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
    },
    "/v2/models/redirect/infer": (_q, res) => {
      res.writeHead(307, { location: `${elsewhere.base}/v2/models/m/infer?api_key=${TOKEN}` });
      res.end();
    },
    // Echoes the credentials it was sent, as careless servers do in their error messages.
    "/v2/models/echo/infer": (req, res) => json(res, 401, { error: `invalid credentials: ${String(req.headers["authorization"])} (${String(req.headers["x-api-key"])})` }),
    "/v2/models/billion/infer": (_q, res, body) => json(res, 200, { outputs: [{ name: "label", datatype: "INT64", shape: [rowsOf(body)], data: Array(rowsOf(body)).fill(3) }] }),
    "/v2/models/vast": (_q, res) => json(res, 200, { name: "vast", inputs: [{ name: "x", datatype: "FP32", shape: [-1, 1_000_000_000] }] }),
    "/v2/models/basic/infer": (req, res, body) =>
      req.headers["authorization"] === `Basic ${Buffer.from(`probe:${TOKEN}`).toString("base64")}` ? json(res, 200, kserveScores(rowsOf(body), 10)) : json(res, 401, { error: "unauthorised" }),
    "/v2/models/echo-data/infer": (req, res, body) => json(res, 200, kserveScores(rowsOf(body), 10, () => String(req.headers["authorization"]))),
    // Healthy for one row (the loader's first request), then NaN.
    "/v2/models/later-nan/infer": (_q, res, body) => {
      const n = rowsOf(body);
      if (n === 1) return json(res, 200, kserveScores(1, 10));
      json(res, 200, '{"outputs":[{"name":"p","datatype":"FP32","shape":[' + n + ',10],"data":[' + Array(n * 10).fill("NaN").join(",") + "]}]}");
    },
    "/v2/models/busy/infer": (_q, res) => json(res, 503, { error: "overloaded" }, { "retry-after": "0" }),
    "/v2/models/busy-huge/infer": (_q, res) => {
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("x".repeat(3 * 1024 * 1024));
    },
  });
});

afterAll(async () => {
  endless.stopped = true;
  hostile.server.closeAllConnections();
  elsewhere.server.closeAllConnections();
  await Promise.all([new Promise((r) => hostile.server.close(r)), new Promise((r) => elsewhere.server.close(r))]);
});

const load = (path: string, extra: Record<string, unknown> = {}): Promise<unknown> => loadHttpModel(`${hostile.base}${path}`, { retries: 0, timeoutMs: 5000, ...extra }, 64, 10);

describe("hostile endpoints", () => {
  it("cuts a body that never ends at the size limit, while it streams", async () => {
    const started = Date.now();
    await expect(load("/v2/models/endless/infer", { maxResponseBytes: 256 * 1024 })).rejects.toThrow(/endpoint http:\/\/127\.0\.0\.1:\d+\/v2\/models\/endless\/infer answered more than the limit of 262144 bytes/);
    // The client stopped reading at the limit: the server got rid of little more than that (socket buffers).
    await new Promise((r) => setTimeout(r, 100));
    expect(hostile.written.get("/v2/models/endless/infer")!).toBeLessThan(8 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(4000);
    // The default limit is sized from the request, with a floor.
    expect(responseLimit(1, 10)).toBe(RESPONSE_FLOOR_BYTES);
    expect(responseLimit(64, 1000)).toBe(64 * 1000 * 64);
    await expect(load("/v2/models/endless/infer")).rejects.toThrow(`answered more than the limit of ${RESPONSE_FLOOR_BYTES} bytes`);
  });

  it("a compressed body is limited by its decompressed size", async () => {
    await expect(load("/v2/models/gzip-bomb/infer")).rejects.toThrow(`gzip-bomb/infer answered more than the limit of ${RESPONSE_FLOOR_BYTES} bytes`);
  });

  it("header names and values are checked without showing the value", async () => {
    const err = (await loadHttpModel(`${hostile.base}/v2/models/m/infer`, { headers: { authorization: `Bearer ${TOKEN}\r\nX-Injected: 1` } }, 64, 10).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe("the value of header authorization holds a line break or NUL (the value is not shown)");
    await expect(loadHttpModel(`${hostile.base}/v2/models/m/infer`, { headers: { "bad name": "x" } }, 64, 10)).rejects.toThrow(/invalid header name 'bad name'/);
    const cli = await runCli(["probe", `${hostile.base}/v2/models/m/infer`, "--data", DATA, "--header", `Bearer ${TOKEN}`], { cwd: ROOT });
    expect(cli.code).toBe(2);
    expect(cli.stderr).not.toContain(TOKEN);
  });

  it("an input shape from metadata that does not fit the data is refused before anything is sent", async () => {
    await expect(load("/v2/models/vast/infer")).rejects.toThrow(/vast\/infer: the endpoint's metadata gives the input shape \[1000000000\] \(1000000000 values\) but the data rows have 64 values; --input-shape overrides it/);
    expect(hostile.hits.get("/v2/models/vast/infer")).toBeUndefined();
    // Labels answers take the class count from the data: a label of a billion is refused, not allocated.
    await expect(loadHttpModel(`${hostile.base}/v2/models/negative/infer`.replace("negative", "billion"), { retries: 0 }, 64, 1e9)).rejects.toThrow(/go up to 999999999; aigis probes classifiers with at most 50000 classes/);
    await expect(load("/v2/models/vast/infer", { inputShape: [8, 8] })).rejects.toThrow(/HTTP 404/);
  });

  it("an endpoint that is gone: named, with the network's reason, after the retries", async () => {
    const gone = await serve({});
    const port = new URL(gone.base).port;
    await new Promise((r) => gone.server.close(r));
    await expect(loadHttpModel(`http://127.0.0.1:${port}/v2/models/m/infer`, { retries: 1 }, 64, 10)).rejects.toThrow(`endpoint http://127.0.0.1:${port}/v2/models/m/infer is unreachable: ECONNREFUSED`);
  });

  it("refuses a body whose announced length is over the limit before reading it", async () => {
    await expect(load("/v2/models/announced/infer")).rejects.toThrow(/announced an answer of 5368709120 bytes, more than the limit/);
  });

  it("a body that stalls after the headers is cut by the timeout, every retry included", async () => {
    const started = Date.now();
    const err = await load("/v2/models/stall/infer", { timeoutMs: 300, retries: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointError);
    expect((err as Error).message).toMatch(/stall\/infer did not answer within 300 ms/);
    // Two attempts of 300 ms and one backoff of 100 ms.
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(650);
    expect(elapsed).toBeLessThan(3000);
    expect(hostile.hits.get("/v2/models/stall/infer")).toBe(2);
  });

  it.each([
    ["/v1/models/nan:predict", /nan:predict answered non-finite scores \(NaN or Infinity\)/],
    ["/v1/models/infinity:predict", /answered non-finite scores/],
    ["/v1/models/strings:predict", /strings:predict answered a string \(0\.1\) among scores/],
    ["/v1/models/nulls:predict", /nulls:predict answered null among scores/],
    ["/v2/models/ragged/infer", /output p has 9 values for shape \[1, 10\]/],
    ["/v1/models/ragged:predict", /ragged:predict answered 2 rows for 1 sent/],
    ["/v2/models/narrow/infer", /narrow\/infer answers 5 scores per row but the data's labels go up to 9/],
    ["/v2/models/fraction/infer", /fraction\/infer answered 2\.5 among labels; class ids must be whole numbers from 0/],
    ["/v2/models/negative/infer", /answered -1 among labels/],
    ["/v2/models/rows/infer", /rows\/infer answered 2 rows in output probabilities for 1 sent/],
    ["/v2/models/wide/infer", /wide\/infer answers 60000 scores per row; aigis probes classifiers with at most 50000 classes/],
    ["/v2/models/bytes/infer", /output label holds strings \(BYTES\)/],
    ["/v2/models/html/infer", /html\/infer answered an HTML page instead of JSON: <!DOCTYPE html><html><head><title>502 Bad Gateway/],
  ])("%s: one clear error naming the endpoint", async (path, message) => {
    const err = await load(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toMatch(/^endpoint http:\/\/127\.0\.0\.1:\d+\//);
  });

  it("answers parsed strictly: sigmoid outputs, error bodies with 200, nesting, objects in rows", () => {
    const at = new Where("endpoint E");
    expect(parseAnswer("tfserving", { predictions: [[0.25], [0.75]] }, 2, at)).toEqual({ kind: "scores", width: 2, values: [0.75, 0.25, 0.25, 0.75] });
    expect(parseAnswer("tfserving", { predictions: [[1], [0]] }, 2, at)).toEqual({ kind: "labels", labels: [1, 0] });
    expect(() => parseAnswer("tfserving", { error: "Servable not found" }, 1, at)).toThrow("endpoint E answered an error: Servable not found");
    let deep: unknown = [0.5, 0.5];
    for (let i = 0; i < 20; i++) deep = [deep];
    expect(() => parseAnswer("mlflow", { predictions: [deep] }, 1, at)).toThrow(/nests its rows too deeply/);
    expect(() => parseAnswer("tfserving", { predictions: [[{ a: 1 }, 0.5]] }, 1, at)).toThrow(/answered an object among scores/);
    expect(() => parseAnswer("kserve", { outputs: [{ name: "p", shape: [1, 1e9, 1e9], data: [1] }] }, 1, at)).toThrow(/has 1 values for shape \[1, 1000000000, 1000000000\]/);
    expect(() => parseAnswer("kserve", { outputs: "x" }, 1, at)).toThrow(/without outputs\[\]/);
    expect(() => parseAnswer("mlflow", { predictions: { a: [[0.1, 0.9]], b: 3 } }, 1, at)).toThrow(/output b is not a list of rows/);
  });

  it("rows of different widths, and a width that changes between answers", async () => {
    const rowsIn = (body: string): number => (JSON.parse(body) as { instances: unknown[] }).instances.length;
    const server = await serve({
      "/v1/models/ragged:predict": (_q, res, body) => json(res, 200, { predictions: rowsIn(body) === 1 ? [[0.1, 0.9]] : [[0.1, 0.9], [0.2, 0.3, 0.5]] }),
      "/v1/models/grows:predict": (_q, res, body) => json(res, 200, { predictions: Array.from({ length: rowsIn(body) }, () => Array(rowsIn(body) === 1 ? 10 : 12).fill(0.1)) }),
    });
    const ragged = await loadHttpModel(`${server.base}/v1/models/ragged:predict`, { retries: 0 }, 4, 2);
    await expect(ragged.predict(new Float32Array(8), 2)).rejects.toThrow(/ragged:predict answered rows of different widths \(2 and 3\) in output predictions/);
    const grows = await loadHttpModel(`${server.base}/v1/models/grows:predict`, { retries: 0 }, 4, 10);
    await expect(grows.predict(new Float32Array(8), 2)).rejects.toThrow(/grows:predict answered 12 scores for a row, earlier 10/);
    await new Promise((r) => server.server.close(r));
  });

  it("does not follow a redirect to another origin, and never sends it the data or the token", async () => {
    const err = (await load("/v2/models/redirect/infer", { headers: { authorization: `Bearer ${TOKEN}` } }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(new RegExp(`redirect/infer redirects \\(HTTP 307\\) to ${elsewhere.base.replace(/\./g, "\\.")}/v2/models/m/infer\\?api_key=\\*\\*\\*; aigis does not follow redirects`));
    expect(err.message).not.toContain(TOKEN);
    expect(elsewhere.hits.size).toBe(0);
  });

  it("masks header values, their parts and URL secrets in every error", async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, "x-api-key": "k3y-0123456789" };
    const e1 = (await loadHttpModel(`${hostile.base}/v2/models/echo/infer?api_key=${TOKEN}x`, { headers, retries: 0 }, 64, 10).catch((e: unknown) => e)) as Error;
    expect(e1.message).toMatch(/echo\/infer\?api_key=\*\*\* answered HTTP 401: invalid credentials: \*\*\* \(\*\*\*\)/);
    expect(e1.message).not.toMatch(/s3cr3t|k3y-/);
    const e2 = (await loadHttpModel(`${hostile.base}/v2/models/echo-data/infer`, { headers, retries: 0 }, 64, 10).catch((e: unknown) => e)) as Error;
    expect(e2.message).toMatch(/a string \(\*\*\*\) among scores/);
    expect(e2.message).not.toContain(TOKEN);
  });

  it("credentials in the URL become a Basic Authorization header, and are masked", async () => {
    const url = `${hostile.base.replace("//", `//probe:${TOKEN}@`)}/v2/models/basic/infer`;
    const model = await loadHttpModel(url, { retries: 0 }, 64, 10);
    expect(model.numClasses).toBe(10);
    const r = await runProbe({ cwd: ROOT, model: url, data: DATA, samples: 5, attacks: [] });
    expect(r.probes[0]!.model).toBe(`${hostile.base.replace("//", "//***@")}/v2/models/basic/infer`);
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it("retries 5xx within the documented bound, and the size limit holds on every attempt", async () => {
    const started = Date.now();
    await expect(load("/v2/models/busy/infer", { retries: 2 })).rejects.toThrow(/busy\/infer answered HTTP 503: overloaded/);
    expect(hostile.hits.get("/v2/models/busy/infer")).toBe(3);
    expect(Date.now() - started).toBeLessThan(2000);
    // Retries are paced by the rate limit like first attempts (Retry-After 0: no backoff).
    const paced = Date.now();
    await expect(load("/v2/models/busy/infer", { retries: 2, rateLimit: 5 })).rejects.toThrow(/HTTP 503/);
    expect(Date.now() - paced).toBeGreaterThanOrEqual(390);
    // A 3 MiB error page, three times: each read stops at 64 KiB, the message shows 200 characters.
    const err = (await load("/v2/models/busy-huge/infer", { retries: 2 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/busy-huge\/infer answered HTTP 503$/);
    expect(hostile.hits.get("/v2/models/busy-huge/infer")).toBe(3);
  });

  it("through the CLI: exit code 2 with one line naming the endpoint, also when a later answer is bad, and no token in the report", async () => {
    const cli = await runCli(["probe", `${hostile.base}/v2/models/later-nan/infer?token=${TOKEN}`, "--data", DATA, "--samples", "20", "--attack", "none", "--extraction", "--retries", "0", "--header", `Authorization: Bearer ${TOKEN}`], { cwd: ROOT });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/^aigis: error: endpoint http:\/\/127\.0\.0\.1:\d+\/v2\/models\/later-nan\/infer\?token=\*\*\* answered non-finite scores \(NaN or Infinity\)\n$/);
    expect(cli.stderr + cli.stdout).not.toContain(TOKEN);
    const html = await runCli(["probe", `${hostile.base}/v2/models/html/infer`, "--data", DATA, "--samples", "5"], { cwd: ROOT });
    expect(html.code).toBe(2);
    expect(html.stderr).toMatch(/^aigis: error: endpoint .*html\/infer answered an HTML page instead of JSON/);
    // A healthy endpoint with a token in its URL: the report names it masked.
    const ok = await runProbe({ cwd: ROOT, model: `${elsewhere.base}/v2/models/m/infer?api_key=${TOKEN}&version=2`, data: DATA, samples: 5, attacks: [], endpoint: { headers: { authorization: `Bearer ${TOKEN}` } } });
    const text = JSON.stringify(ok);
    expect(text).not.toContain(TOKEN);
    expect(ok.probes[0]!.model).toBe(`${elsewhere.base}/v2/models/m/infer?api_key=***&version=2`);
  });
});
