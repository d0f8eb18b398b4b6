// The HTML evidence report: one self-contained file (inline CSS, inline SVG charts, no
// scripts, no fonts or images from anywhere), readable on screen and on paper.

import type { AttackResult, Finding, ProbeResult, Severity } from "../types";
import { SEVERITIES } from "../types";
import type { Catalog } from "../core/catalog";
import type { ControlAssessment, ControlStatus } from "../compliance";
import type { Evidence } from "../compliance/evidence";
import { buildInventory, countingFindings, frameworkLabel, frameworkSummaries, groupFindings, INVENTORY_CLASSES, inventoryClass, inventoryToPrint, topRisks, type FrameworkVerdict, type Inventory, type InventoryClass, type InventoryEntry, type RuleFindings } from "../compliance/workpaper";
import { ruleDocsUri } from "./sarif";


const SEVERITY_COLOR: Record<Severity, string> = { critical: "#7f1d1d", high: "#dc2626", medium: "#d97706", low: "#2563eb", info: "#6b7280" };
const STATUS_COLOR: Record<ControlStatus, string> = { failed: "#dc2626", passed: "#16a34a", "not-assessed": "#9ca3af" };
const STATUS_LABEL: Record<ControlStatus, string> = { failed: "Failed", passed: "Passed", "not-assessed": "Not assessed" };
const SERIES_COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#d97706", "#0891b2", "#db2777", "#4b5563"];

export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
const esc = escapeHtml;

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

function anchor(fingerprint: string): string {
  return `f-${fingerprint}`;
}

function badge(status: ControlStatus): string {
  return `<span class="badge st-${status}">${STATUS_LABEL[status]}</span>`;
}

function sevBadge(s: Severity): string {
  return `<span class="sev sev-${s}">${s}</span>`;
}

/** Robust accuracy against eps, one line per attack and norm, starting from clean accuracy at eps 0. */
function robustnessChart(probe: ProbeResult, index: number): string {
  const groups = new Map<string, AttackResult[]>();
  for (const a of probe.attacks) groups.set(`${a.name} (${a.norm})`, [...(groups.get(`${a.name} (${a.norm})`) ?? []), a]);
  const maxEps = Math.max(...probe.attacks.map((a) => a.eps), 0) || 1;
  const W = 560;
  const H = 300;
  const left = 50;
  const right = 170;
  const top = 20;
  const bottom = 45;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const x = (eps: number): number => left + (eps / maxEps) * pw;
  const y = (acc: number): number => top + (1 - acc) * ph;
  const title = `Robust accuracy versus eps: ${probe.model}`;
  const parts: string[] = [`<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>`];
  for (let i = 0; i <= 4; i++) {
    const acc = i / 4;
    parts.push(`<line x1="${left}" x2="${left + pw}" y1="${y(acc)}" y2="${y(acc)}" class="grid"/><text x="${left - 6}" y="${y(acc) + 4}" class="tick" text-anchor="end">${acc.toFixed(2)}</text>`);
    const eps = (maxEps * i) / 4;
    parts.push(`<line x1="${x(eps)}" x2="${x(eps)}" y1="${top}" y2="${top + ph}" class="grid"/><text x="${x(eps)}" y="${top + ph + 16}" class="tick" text-anchor="middle">${Number(eps.toPrecision(3))}</text>`);
  }
  parts.push(`<text x="${left + pw / 2}" y="${H - 6}" class="axis" text-anchor="middle">perturbation budget eps</text>`);
  parts.push(`<text x="12" y="${top + ph / 2}" class="axis" text-anchor="middle" transform="rotate(-90 12 ${top + ph / 2})">robust accuracy</text>`);
  let g = 0;
  for (const [name, attacks] of groups) {
    const color = SERIES_COLORS[(g + index) % SERIES_COLORS.length]!;
    const pts = [{ eps: 0, acc: probe.cleanAccuracy }, ...[...attacks].sort((a, b) => a.eps - b.eps).filter((a) => a.eps > 0).map((a) => ({ eps: a.eps, acc: a.robustAccuracy }))];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${x(p.eps).toFixed(1)},${y(p.acc).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) parts.push(`<circle cx="${x(p.eps).toFixed(1)}" cy="${y(p.acc).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${name} eps=${p.eps}: ${p.acc.toFixed(3)}`)}</title></circle>`);
    const ly = top + 10 + g * 18;
    parts.push(`<rect x="${left + pw + 14}" y="${ly - 9}" width="12" height="3" fill="${color}"/><text x="${left + pw + 32}" y="${ly - 4}" class="tick">${esc(name)}</text>`);
    g++;
  }
  parts.push("</svg>");
  return parts.join("");
}

/** A path that breaks only after its separators, never inside a name. */
function pathHtml(p: string): string {
  return `<span class="path">${esc(p).replace(/([/\\._-])/g, "$1<wbr>")}</span>`;
}

/** A SHA-256 as a monospace block of two 32-character lines, so it never wraps mid-way. */
function hashHtml(hex: string): string {
  if (!/^[0-9a-f]{64}$/.test(hex)) return `<span class="muted">${esc(hex || "not hashed")}</span>`;
  return `<code class="hash" title="${hex}">${hex.slice(0, 32)}<br>${hex.slice(32)}</code>`;
}

function ruleAnchor(ruleId: string): string {
  return `rule-${ruleId.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Where inside the artifact: the part of the location that the artifact row does not already say. */
function positionText(f: Finding): string {
  const l = f.location;
  const parts: string[] = [];
  if (l.member !== undefined) parts.push(l.member);
  if (l.row !== undefined) parts.push(`row ${l.row}`);
  if (l.line !== undefined) parts.push(`line ${l.line}`);
  if (l.offset !== undefined) parts.push(`byte ${l.offset}`);
  return parts.join(", ");
}

const VERDICT_TEXT: Record<FrameworkVerdict, string> = {
  "non-conformities": "Non-conformities found",
  "no-failures-in-assessed": "No failures in the controls assessed",
  "not-assessed": "Not assessed",
};
const VERDICT_STATUS: Record<FrameworkVerdict, ControlStatus> = { "non-conformities": "failed", "no-failures-in-assessed": "passed", "not-assessed": "not-assessed" };

function notAssessedReason(c: ControlAssessment): string {
  if (c.notAssessedReason) return esc(c.notAssessedReason);
  if (c.rules.length === 0) return "no aigis rule maps to this control";
  return `no in-scope artifact for ${c.rules.map((r) => `<code>${esc(r)}</code>`).join(", ")}`;
}

/** Rule ids compact enough for a table cell: listed when few, else counted by family ("policy/aws-… 11 rules"). */
function rulesText(ids: ReadonlyArray<string>): string {
  if (ids.length <= 4) return ids.map((r) => `<code>${esc(r)}</code>`).join(", ");
  const families = new Map<string, number>();
  for (const id of ids) {
    const slash = id.indexOf("/");
    const dash = id.indexOf("-", slash + 1);
    const family = slash >= 0 && dash > slash && /^(aws|gcs|k8s|pickle|archive|keras|onnx|signature)$/.test(id.slice(slash + 1, dash)) ? `${id.slice(0, dash)}-…` : id.slice(0, slash + 1) + "…";
    families.set(family, (families.get(family) ?? 0) + 1);
  }
  return [...families.entries()].map(([f, n]) => `<code>${esc(f)}</code>&nbsp;${n}`).join(", ") + ` <span class="muted">(${ids.length} rules)</span>`;
}

function controlRow(c: ControlAssessment): string {
  // Each failing rule with the catalogue's reason why its findings are evidence against this control.
  const failing = c.failedBy.map((f) => `<li><a href="#${ruleAnchor(f.rule)}"><code>${esc(f.rule)}</code></a>&nbsp;${f.findings}${f.rationale ? `: <span class="why">${esc(f.rationale)}</span>` : ""}</li>`);
  const failedBy = failing.length ? `<div>Failed by</div><ul class="failed-by">${failing.join("")}</ul>` : "";
  const basis =
    c.assessedBy.length > 0
      ? `${failedBy}<div class="muted">Assessed by ${rulesText(c.assessedBy)} over ${plural(c.targetsAssessed, "artifact")}</div>`
      : `${failedBy}<div class="muted">${c.status === "not-assessed" ? "Not assessed: " : "No rule assessed it: "}${notAssessedReason(c)}</div>`;
  return `<tr class="row-${c.status}"><td><strong>${esc(c.control.id)}</strong> <span class="muted">${esc(c.control.title)}</span></td><td>${badge(c.status)}</td><td class="num">${c.findings.length}</td><td class="num">${c.accepted.length}</td><td>${basis}</td></tr>`;
}

function section(id: string, title: string, body: string, extraClass = ""): string {
  return `<section id="${id}"${extraClass ? ` class="${extraClass}"` : ""}><h2>${esc(title)}</h2>${body}</section>`;
}

function dl(items: Array<[string, string | undefined]>): string {
  return `<dl class="kv">${items
    .filter((i): i is [string, string] => i[1] !== undefined && i[1] !== "")
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`)
    .join("")}</dl>`;
}

function ruleGroupHtml(g: RuleFindings, catalog: Catalog): string {
  const meta = catalog.rules.get(g.ruleId);
  const rows = g.artifacts.map((a) => {
    const subs = a.subgroups
      .map((s) => {
        const head = s.label === "" ? (s.count > s.examples.length ? `<div class="muted">${plural(s.count, "finding")}, first ${s.examples.length} shown</div>` : "") : `<div class="sub">${s.count > s.examples.length ? `${s.count} findings in ${esc(s.label)}, first ${s.examples.length} shown` : `${esc(s.label)}`}</div>`;
        const ex = s.examples.map((f) => `<li id="${anchor(f.fingerprint)}" title="fingerprint ${esc(f.fingerprint)}">${positionText(f) ? `<span class="pos">${esc(positionText(f))}</span> ` : ""}${esc(f.message)}${f.baselineState === "new" ? ` <span class="state">new</span>` : ""}</li>`).join("");
        return `${head}<ul class="ex">${ex}</ul>`;
      })
      .join("");
    const more = a.moreSubgroups > 0 ? `<div class="muted">and ${a.moreSubgroupFindings} findings in ${plural(a.moreSubgroups, "more place")}: see the JSON report</div>` : "";
    return `<tr><td>${pathHtml(a.uri)}</td><td class="num">${sevBadge(a.severity)}<br>${a.count}</td><td>${subs}${more}</td></tr>`;
  });
  const more = g.moreArtifacts > 0 ? `<tr><td colspan="3" class="muted">and ${g.moreArtifactFindings} findings in ${plural(g.moreArtifacts, "more artifact")}: the JSON report lists every one.</td></tr>` : "";
  return `<div class="rulegroup" id="${ruleAnchor(g.ruleId)}">
<h3>${sevBadge(g.severity)} <a href="${esc(ruleDocsUri(g.ruleId))}">${esc(g.ruleId)}</a>${meta ? ` <span class="rtitle">${esc(meta.title)}</span>` : ""}</h3>
<p class="meta">${plural(g.count, "finding")} in ${plural(g.artifactCount, "artifact")}${g.controls.length ? ` · controls ${g.controls.map(esc).join(", ")}` : ""}${meta ? ` · <span class="fix">Fix: ${esc(firstSentence(meta.remediation))}</span>` : ""}</p>
<table class="fg"><colgroup><col class="c-art"><col class="c-n"><col></colgroup><thead><tr><th>Artifact</th><th class="num">Findings</th><th>Where and what</th></tr></thead><tbody>${rows.join("")}${more}</tbody></table></div>`;
}

function firstSentence(markdown: string): string {
  const plain = markdown.replace(/`([^`]*)`/g, "$1").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/\*\*?/g, "").replace(/\s+/g, " ").trim();
  const m = /^(.{20,240}?(?<!\be\.g|\bi\.e|\betc|\bvs)[.!?])(\s+[A-Z(`"]|\s*$)/.exec(plain);
  return m ? m[1]! : plain.slice(0, 240);
}

/** A probe result's other fields (extraction, membership inference, ...) as a definition list. */
function probeExtras(p: ProbeResult): string {
  const known = new Set(["model", "format", "samples", "cleanAccuracy", "attacks", "backdoor"]);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(p)) {
    if (known.has(k) || v === undefined || v === null) continue;
    parts.push(`<h4>${esc(k)}</h4>${valueHtml(v)}`);
  }
  return parts.join("");
}

function valueHtml(v: unknown): string {
  if (v === null || typeof v !== "object") return `<p>${esc(typeof v === "number" ? Number(v.toPrecision(4)) : v)}</p>`;
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x))) {
      const keys = [...new Set(v.flatMap((x) => Object.keys(x as object)))].filter((k) => v.every((x) => typeof (x as Record<string, unknown>)[k] !== "object" || (x as Record<string, unknown>)[k] === null));
      return `<table><thead><tr>${keys.map((k) => `<th>${esc(k)}</th>`).join("")}</tr></thead><tbody>${v
        .slice(0, 50)
        .map((x) => `<tr>${keys.map((k) => `<td>${esc(scalar((x as Record<string, unknown>)[k]))}</td>`).join("")}</tr>`)
        .join("")}</tbody></table>`;
    }
    return `<p>${esc(v.map(scalar).join(", "))}</p>`;
  }
  return dl(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, typeof x === "object" && x !== null ? esc(JSON.stringify(x)) : esc(scalar(x))]));
}

function scalar(x: unknown): string {
  if (x === undefined || x === null) return "";
  if (typeof x === "number") return String(Number(x.toPrecision(4)));
  return typeof x === "object" ? JSON.stringify(x) : String(x);
}

function backdoorCallout(p: ProbeResult): string {
  const b = p.backdoor;
  if (!b) return "";
  const extra = Object.entries(b).filter(([k, v]) => !["suspected", "targetLabel", "score", "method"].includes(k) && (typeof v === "number" || typeof v === "string" || typeof v === "boolean"));
  const details = extra.map(([k, v]) => `${esc(k)} ${esc(scalar(v))}`).join(" · ");
  if (b.suspected) return `<div class="alert"><strong>Backdoor suspected</strong> in <code>${esc(p.model)}</code>${b.targetLabel !== undefined ? `: inputs carrying the trigger are sent to class <strong>${esc(b.targetLabel)}</strong>` : ""}. Method ${esc(b.method)}, score ${b.score.toFixed(2)}.${details ? `<br><span class="muted">${details}</span>` : ""}</div>`;
  return `<p>Backdoor check (${esc(b.method)}): not suspected, score ${b.score.toFixed(2)}.${details ? ` <span class="muted">${details}</span>` : ""}</p>`;
}

function signatureText(t: InventoryEntry): string {
  if (t.signature) return `${esc(t.signature.status)}${t.signature.reasons.length ? `<br><span class="muted">${esc(t.signature.reasons.join("; "))}</span>` : ""}`;
  return `<span class="muted">none recorded</span>`;
}

const CLASS_LABEL: Record<InventoryClass, string> = { model: "Models", dataset: "Datasets", policy: "Access policies", protection: "Keys, signatures and encrypted files", archive: "Archives", other: "Other files with findings" };

function inventoryHtml(inv: Inventory): string {
  const parts: string[] = [];
  const printed = inventoryToPrint(inv);
  if (printed.size < inv.entries.length) parts.push(`<p class="note">${inv.entries.length} artifacts are in scope; the ${printed.size} listed here are those with findings first, then models, datasets and policies. The CycloneDX bill of materials (<code>--format cyclonedx</code>) and the JSON report list every artifact with its hash.</p>`);
  for (const cls of INVENTORY_CLASSES) {
    const all = inv.entries.filter((e) => e.class === cls);
    const rows = all.filter((e) => printed.has(e));
    if (all.length === 0) continue;
    if (rows.length === 0) {
      parts.push(`<h3>${esc(CLASS_LABEL[cls])} <span class="muted">(${all.length}, none with findings; listed in the bill of materials)</span></h3>`);
      continue;
    }
    parts.push(`<h3>${esc(CLASS_LABEL[cls])} <span class="muted">(${all.length}${rows.length < all.length ? `, ${rows.length} listed` : ""})</span></h3>
<table class="inv"><colgroup><col class="c-art"><col class="c-kind"><col class="c-size"><col class="c-hash"><col class="c-prot"><col class="c-sig"></colgroup><thead><tr><th>Artifact</th><th>Kind</th><th class="num">Size</th><th>SHA-256</th><th>Protection</th><th>Signature</th></tr></thead><tbody>${rows
      .map(
        (t) =>
          `<tr><td>${pathHtml(t.uri)}${t.files !== undefined ? `<br><span class="muted">${t.files} files; digest of their SHA-256 manifest</span>` : ""}</td><td>${esc(t.kind)}</td><td class="num" title="${t.bytes} bytes">${bytesText(t.bytes)}</td><td>${hashHtml(t.sha256)}</td><td>${t.protection ? esc(`${t.protection.state}${t.protection.scheme ? ` (${t.protection.scheme})` : ""}`) : `<span class="muted">not determined</span>`}</td><td>${signatureText(t)}</td></tr>`,
      )
      .join("")}</tbody></table>`);
  }
  if (inv.others.length > 0) {
    parts.push(`<h3>Other files <span class="muted">(${inv.others.reduce((a, o) => a + o.files, 0)})</span></h3>
<p class="muted">Files of kinds no aigis check is specific to and with no finding, counted by kind; the JSON report and the CycloneDX bill of materials list each with its hash.</p>
<table class="narrow"><thead><tr><th>Kind</th><th class="num">Files</th><th class="num">Size</th></tr></thead><tbody>${inv.others.map((o) => `<tr><td>${esc(o.kind)}</td><td class="num">${o.files}</td><td class="num">${bytesText(o.bytes)}</td></tr>`).join("")}</tbody></table>`);
  }
  return parts.join("") || `<p class="muted">No artifacts.</p>`;
}

const CSS = `
:root{--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#fff;--panel:#f9fafb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:24px 32px 12px;border-bottom:3px solid #111827}
header h1{margin:0 0 4px;font-size:24px}
nav{position:sticky;top:0;background:#111827;padding:6px 32px;z-index:1}
nav a{color:#f9fafb;margin-right:16px;text-decoration:none;font-size:13px}
main{padding:8px 32px 32px;max-width:1200px}
h2{font-size:19px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
h4{font-size:13px;margin:10px 0 4px}
table{border-collapse:collapse;width:100%;margin:6px 0 14px;font-size:13px}
table.matrix,table.fg,table.inv{table-layout:fixed}
table.narrow{width:auto;min-width:40%}
th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600}
td.num,th.num{text-align:right}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:break-word;word-break:normal}
code.hash{display:block;white-space:pre;font-size:11px;line-height:1.25}
.muted{color:var(--muted)}
ul.failed-by{margin:2px 0 4px;padding-left:18px}
ul.failed-by .why{font-size:12px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:120px;background:var(--panel)}
.card .n{font-size:20px;font-weight:700}
.badge,.sev{display:inline-block;border-radius:3px;padding:1px 6px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.st-failed{background:${STATUS_COLOR.failed}}.st-passed{background:${STATUS_COLOR.passed}}.st-not-assessed{background:${STATUS_COLOR["not-assessed"]}}
${SEVERITIES.map((s) => `.sev-${s}{background:${SEVERITY_COLOR[s]}}`).join("")}
.state{font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 4px}
.rulegroup h3 a{color:inherit}
.rtitle{font-weight:400}
p.meta{margin:0 0 4px;color:#374151;font-size:12.5px}
ul.ex{margin:0 0 2px;padding-left:16px}
ul.ex li{margin:0}
.pos{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11.5px;color:#374151}
.sub{font-weight:600;font-size:12.5px}
col.c-art{width:30%}col.c-n{width:9%}col.c-kind{width:11%}col.c-size{width:8%}col.c-hash{width:25%}col.c-prot{width:12%}col.c-sig{width:14%}
.chart{max-width:720px;width:100%;height:auto;display:block;margin:8px 0}
.chart .tick{font-size:11px;fill:#374151}.chart .axis{font-size:12px;fill:#111827}.chart .grid{stroke:#e5e7eb;stroke-width:1}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:8px 0}
dl.kv dt{font-weight:600}dl.kv dd{margin:0}
.note{background:#fffbeb;border:1px solid #fcd34d;padding:6px 10px;border-radius:4px}
.alert{background:#fef2f2;border:2px solid #dc2626;padding:8px 12px;border-radius:4px;margin:8px 0}
ol.risks{margin:4px 0 8px;padding-left:20px}
footer{padding:16px 32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
@media print{
  @page{margin:12mm 11mm}
  nav{display:none}
  body{font-size:10px;line-height:1.3}
  header{padding:0 0 6px}
  header h1{font-size:18px}
  main{padding:0;max-width:none}
  footer{padding:6px 0}
  h2{font-size:14px;margin:14px 0 6px}
  h3{font-size:11.5px;margin:10px 0 3px}
  table{font-size:9.5px;margin:4px 0 8px}
  th,td{padding:2px 4px}
  code,.mono,.path{font-size:9px}
  code.hash{font-size:8px}
  .pos{font-size:8.5px}
  p.meta,.sub{font-size:9px}
  .card{padding:4px 8px;min-width:90px}.card .n{font-size:15px}
  #summary{break-after:page}
  h2,h3,h4,p.meta{break-after:avoid}
  tr,.card,.chart,.alert,dl.kv{break-inside:avoid}
  .rulegroup{break-inside:auto}
  thead{display:table-header-group}
  a{color:inherit;text-decoration:none}
  .badge,.sev,.chart,.card,.alert{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  .chart{max-width:560px}
}`;

export function toHtml(e: Evidence, catalog: Catalog): string {
  const r = e.report;
  const inv = r.invocation;
  const counted = countingFindings(r);
  const groups = groupFindings(counted);
  const risks = topRisks(groups);
  const verdicts = frameworkSummaries(e.assessments);
  const inventory = buildInventory(r.targets, counted);
  const classCounts = new Map<InventoryClass, number>();
  for (const t of r.targets) {
    const cls = inventoryClass(t.kind);
    classCounts.set(cls, (classCounts.get(cls) ?? 0) + 1);
  }
  const totalBytes = r.targets.reduce((a, t) => a + t.bytes, 0);
  const suspected = r.probes.filter((p) => p.backdoor?.suspected === true);
  const body: string[] = [];

  const scopeLine = `${plural(r.targets.length, "artifact")} (${bytesText(totalBytes)}): ${INVENTORY_CLASSES.filter((c) => (classCounts.get(c) ?? 0) > 0)
    .map((c) => `${classCounts.get(c)} ${c === "protection" ? "key, signature or encrypted" : c === "other" ? "other" : c}`)
    .join(", ")}${r.probes.length ? `; ${plural(r.probes.length, "model")} probed` : ""}.`;
  body.push(
    section(
      "summary",
      "Executive summary",
      `${dl([
        ["Scope", esc(scopeLine)],
        ["Paths", inv ? inv.paths.map((p) => `<code>${esc(p)}</code>`).join(", ") : undefined],
        ["Scanned", inv ? esc(`${inv.startTime} to ${inv.endTime}${inv.executionSuccessful ? "" : " (did not finish)"}`) : undefined],
        ["Result files", e.sources.length > 0 ? e.sources.map((s) => `<code>${esc(s)}</code>`).join(", ") : undefined],
      ])}
<div class="cards">${SEVERITIES.map((s) => `<div class="card"><div class="n">${r.summary.bySeverity[s]}</div>${sevBadge(s)}</div>`).join("")}<div class="card"><div class="n">${e.acceptedRisks.length}</div>accepted risks</div>${r.summary.new !== undefined ? `<div class="card"><div class="n">${r.summary.new}</div>new since baseline</div>` : ""}</div>
<h3>Verdict per framework</h3>
<table><thead><tr><th>Framework</th><th>Verdict</th><th class="num">Failed</th><th class="num">Passed</th><th class="num">Not assessed</th></tr></thead><tbody>${verdicts
        .map((v) => `<tr><td><a href="#fw-${esc(v.id)}">${esc(v.label)}</a></td><td><span class="badge st-${VERDICT_STATUS[v.verdict]}">${VERDICT_TEXT[v.verdict]}</span></td><td class="num">${v.failed}</td><td class="num">${v.passed}</td><td class="num">${v.notAssessed}</td></tr>`)
        .join("")}</tbody></table>
${suspected.map(backdoorCallout).join("")}
<h3>Top risks</h3>
${
  risks.length === 0
    ? `<p class="muted">No finding that counts above info.</p>`
    : `<ol class="risks">${risks
        .map((g) => {
          const meta = catalog.rules.get(g.ruleId);
          return `<li>${sevBadge(g.severity)} <a href="#${ruleAnchor(g.ruleId)}">${esc(meta?.title ?? g.ruleId)}</a> <span class="muted">(${esc(g.ruleId)})</span>: ${plural(g.count, "finding")} in ${plural(g.artifactCount, "artifact")}.</li>`;
        })
        .join("")}</ol>`
}
<p class="muted">A control <strong>failed</strong> when a finding that counts (not an accepted risk) maps to it; <strong>passed</strong> only when an aigis rule that could have failed it assessed at least one artifact in scope and nothing counts against it; <strong>not assessed</strong> otherwise, with the reason in the control matrix. Passed means aigis found nothing within what its rules check; it is not a certification.</p>`,
    ),
  );

  const controlsBody = e.assessments
    .map(
      (a) => `<h3 id="fw-${esc(a.framework.id)}">${esc(frameworkLabel(a.framework.name, a.framework.version))} <span class="muted">${a.counts.failed} failed, ${a.counts.passed} passed, ${a.counts["not-assessed"]} not assessed</span></h3>
<table class="matrix"><colgroup><col style="width:32%"><col style="width:11%"><col style="width:8%"><col style="width:8%"><col></colgroup><thead><tr><th>Control</th><th>Status</th><th class="num">Findings</th><th class="num">Accepted</th><th>Basis</th></tr></thead><tbody>${a.controls.map(controlRow).join("")}</tbody></table>`,
    )
    .join("");
  body.push(section("controls", "Control matrix", controlsBody || `<p class="muted">No framework selected.</p>`));

  body.push(
    section(
      "findings",
      "Findings by rule and artifact",
      groups.length === 0
        ? `<p>No findings that count.</p>`
        : `<p class="muted">${plural(counted.length, "finding")} that count, grouped by rule (most severe first) and artifact; rows of one column or archive member are aggregated. Every finding with its fingerprint is in the JSON report.</p>${groups.map((g) => ruleGroupHtml(g, catalog)).join("")}`,
    ),
  );

  body.push(
    section(
      "probes",
      "Model probes",
      r.probes.length === 0
        ? `<p class="muted">No probe results in this report (run <code>aigis probe</code> to add them).</p>`
        : r.probes
            .map(
              (p, i) => `<h3>${esc(p.model)} <span class="muted">(${esc(p.format)}, ${p.samples} samples, clean accuracy ${p.cleanAccuracy.toFixed(3)})</span></h3>
${backdoorCallout(p)}
${p.attacks.length > 0 ? robustnessChart(p, i) : ""}
${
  p.attacks.length > 0
    ? `<table><thead><tr><th>Attack</th><th>Norm</th><th class="num">eps</th><th class="num">Steps</th><th class="num">Robust accuracy</th><th class="num">Attack success</th><th class="num">Mean perturbation</th><th class="num">Queries</th><th class="num">Seconds</th></tr></thead><tbody>${p.attacks
        .map(
          (a) =>
            `<tr><td>${esc(a.name)}</td><td>${esc(a.norm)}</td><td class="num">${a.eps}</td><td class="num">${a.steps ?? ""}</td><td class="num">${a.robustAccuracy.toFixed(3)}</td><td class="num">${a.attackSuccessRate.toFixed(3)}</td><td class="num">${a.meanPerturbation.toFixed(4)}</td><td class="num">${a.queries}</td><td class="num">${a.seconds.toFixed(2)}</td></tr>`,
        )
        .join("")}</tbody></table>`
    : ""
}
${probeExtras(p)}`,
            )
            .join(""),
    ),
  );

  body.push(
    section(
      "accepted-risks",
      "Accepted risks",
      e.acceptedRisks.length === 0
        ? `<p class="muted">No finding is suppressed.</p>`
        : `<table><thead><tr><th>Finding</th><th>Justification</th><th>Expires</th><th>Author</th><th>Source</th></tr></thead><tbody>${e.acceptedRisks
            .map(
              (a) =>
                `<tr><td>${sevBadge(a.severity)} <a href="#${ruleAnchor(a.ruleId)}">${esc(a.ruleId)}</a><br>${pathHtml(a.where)}</td><td>${esc(a.justification)}</td><td>${esc(a.expires ?? "no expiry")}</td><td>${esc(a.author ?? "")}</td><td>${pathHtml(a.source ?? "")}</td></tr>`,
            )
            .join("")}</tbody></table>`,
    ),
  );

  body.push(section("artifacts", "Appendix A: inventory of artifacts", inventoryHtml(inventory)));

  body.push(
    section(
      "scope",
      "Appendix B: scope and run",
      dl([
        ["Tool", esc(`${r.tool.name} ${r.tool.version}`)],
        ["Rule catalogue (scan)", r.tool.rulesVersion ? `<code>${esc(r.tool.rulesVersion)}</code>` : `<span class="muted">not recorded</span>`],
        ["Rule catalogue (assessment)", `<code>${esc(e.assessedWithRules)}</code>`],
        ["Frameworks", e.assessments.map((a) => esc(frameworkLabel(a.framework.name, a.framework.version))).join("<br>")],
        ["Scan started", inv ? esc(inv.startTime) : undefined],
        ["Scan ended", inv ? esc(inv.endTime) : undefined],
        ["Report generated", esc(e.generatedAt)],
        ["Paths", inv ? inv.paths.map((p) => `<code>${esc(p)}</code>`).join(", ") : undefined],
        ["Working directory", inv ? `<code>${esc(inv.workingDirectory)}</code>` : undefined],
        ["Configuration", inv?.configFile ? `<code>${esc(inv.configFile)}</code>` : "defaults (no configuration file)"],
        ["Suppressions file", inv?.suppressionsFile ? `<code>${esc(inv.suppressionsFile)}</code>` : undefined],
        ["Baseline", inv?.baselineFile ? `<code>${esc(inv.baselineFile)}</code>` : undefined],
        ["Shard", inv?.shard ? esc(`${inv.shard.index} of ${inv.shard.count}`) : undefined],
        ["Completed", inv ? (inv.executionSuccessful ? "yes" : "no: the scan did not finish") : undefined],
        ["Result files", e.sources.length > 0 ? e.sources.map((s) => `<code>${esc(s)}</code>`).join("<br>") : undefined],
      ]),
    ),
  );

  const nav = [
    ["summary", "Summary"],
    ["controls", "Controls"],
    ["findings", "Findings"],
    ["probes", "Probes"],
    ["accepted-risks", "Accepted risks"],
    ["artifacts", "Inventory"],
    ["scope", "Scope"],
  ]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`)
    .join("");

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="aigis ${esc(r.tool.version)}">
<title>${esc(e.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(e.title)}</h1>
<div class="muted">aigis ${esc(r.tool.version)} · rules ${esc(r.tool.rulesVersion ?? e.assessedWithRules)} · generated ${esc(e.generatedAt)}${inv ? ` · scanned ${esc(inv.startTime)}` : ""}</div></header>
<nav>${nav}</nav>
<main>
${body.join("\n")}
</main>
<footer>Generated by aigis ${esc(r.tool.version)}. Control statuses reflect the checks aigis ran on the artifacts listed in Appendix A; docs/evidence.md says how they are decided.</footer>
</body>
</html>
`;
}
