// Preloaded (node --require) by test/core/lazy-loading.test.ts: writes, per thread, the npm
// packages in require.cache to $LAZY_OUT. Worker threads (inherit --require) record when they
// post a file's result, since the pool terminates them without an exit event.
"use strict";
const { appendFileSync } = require("node:fs");
const { isMainThread, threadId, parentPort } = require("node:worker_threads");

function record() {
  const packages = new Set();
  const files = [];
  for (const key of Object.keys(require.cache)) {
    const m = /node_modules[\\/]((@[^\\/]+[\\/])?[^\\/]+)[\\/](.*)$/.exec(key);
    if (!m) continue;
    packages.add(m[1].replace(/\\/g, "/"));
    files.push(`${m[1]}/${m[3]}`.replace(/\\/g, "/"));
  }
  appendFileSync(process.env.LAZY_OUT, JSON.stringify({ thread: isMainThread ? "main" : `worker-${threadId}`, packages: [...packages].sort(), files: files.sort() }) + "\n");
}

if (isMainThread) process.on("exit", record);
else if (parentPort) {
  const post = parentPort.postMessage.bind(parentPort);
  parentPort.postMessage = (msg, ...rest) => {
    if (msg && (msg.result !== undefined || msg.error !== undefined)) record();
    return post(msg, ...rest);
  };
}
