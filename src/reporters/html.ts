// The HTML evidence report: one self-contained file (inline CSS, inline SVG charts, no
// scripts, no fonts or images from anywhere), readable on screen and on paper.

import type { AttackResult, Finding, ProbeResult, Severity } from "../types";
import { SEVERITIES } from "../types";
import type { Catalog } from "../core/catalog";
import type { ControlAssessment, ControlStatus } from "../compliance";
import { locationText, type Evidence } from "../compliance/evidence";
import { ruleDocsUri } from "./sarif";

/** Findings listed in full; beyond this the table notes how many more the JSON report has. */
const MAX_FINDING_ROWS = 5_000;
/** Controls drawn in the findings-by-control chart (the most affected first). */
const MAX_CHART_CONTROLS = 25;

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

/** Horizontal stacked bars: one row per label, one segment per series. */
function stackedBars(rows: Array<{ label: string; segments: Array<{ key: string; value: number; color: string }> }>, options: { title: string; legend: Array<{ key: string; color: string }>; unit: string }): string {
  const labelWidth = 210;
  const barWidth = 460;
  const rowHeight = 22;
  const top = 30;
  const max = Math.max(1, ...rows.map((r) => r.segments.reduce((a, s) => a + s.value, 0)));
  const height = top + rows.length * rowHeight + 30;
  const parts: string[] = [];
  parts.push(`<svg class="chart" role="img" aria-label="${esc(options.title)}" viewBox="0 0 ${labelWidth + barWidth + 60} ${height}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<title>${esc(options.title)}</title>`);
  let lx = labelWidth;
  for (const l of options.legend) {
    parts.push(`<rect x="${lx}" y="6" width="12" height="12" fill="${l.color}"/><text x="${lx + 16}" y="16" class="tick">${esc(l.key)}</text>`);
    lx += 16 + l.key.length * 7 + 14;
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 14}" class="tick" text-anchor="end">${esc(row.label.length > 30 ? `${row.label.slice(0, 29)}…` : row.label)}</text>`);
    let x = labelWidth;
    let total = 0;
    for (const s of row.segments) {
      if (s.value <= 0) continue;
      const w = (s.value / max) * barWidth;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${s.color}"><title>${esc(`${row.label}: ${s.value} ${s.key}`)}</title></rect>`);
      x += w;
      total += s.value;
    }
    parts.push(`<text x="${(x + 5).toFixed(1)}" y="${y + 14}" class="tick">${total}</text>`);
  });
  parts.push(`<text x="${labelWidth}" y="${height - 8}" class="tick">${esc(options.unit)}</text>`);
  parts.push("</svg>");
  return parts.join("");
}

function findingsByControlChart(e: Evidence): string {
  const rows: Array<{ label: string; bySeverity: Record<Severity, number> }> = [];
  for (const a of e.assessments) {
    for (const c of a.controls) {
      if (c.findings.length === 0) continue;
      const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
      for (const f of c.findings) bySeverity[f.severity]++;
      rows.push({ label: c.control.id, bySeverity });
    }
  }
  if (rows.length === 0) return `<p class="muted">No findings count against any control.</p>`;
  rows.sort((a, b) => SEVERITIES.reduce((acc, s) => acc + b.bySeverity[s], 0) - SEVERITIES.reduce((acc, s) => acc + a.bySeverity[s], 0) || a.label.localeCompare(b.label));
  const shown = rows.slice(0, MAX_CHART_CONTROLS);
  const svg = stackedBars(
    shown.map((r) => ({ label: r.label, segments: SEVERITIES.map((s) => ({ key: s, value: r.bySeverity[s], color: SEVERITY_COLOR[s] })) })),
    { title: "Findings by control and severity", legend: SEVERITIES.map((s) => ({ key: s, color: SEVERITY_COLOR[s] })), unit: "findings that count (suppressed and absent ones left out)" },
  );
  return svg + (rows.length > shown.length ? `<p class="muted">${rows.length - shown.length} more controls with findings are in the table below.</p>` : "");
}

function controlStatusChart(e: Evidence): string {
  return stackedBars(
    e.assessments.map((a) => ({
      label: a.framework.id,
      segments: (["failed", "passed", "not-assessed"] as ControlStatus[]).map((s) => ({ key: STATUS_LABEL[s], value: a.counts[s], color: STATUS_COLOR[s] })),
    })),
    { title: "Control status by framework", legend: (["failed", "passed", "not-assessed"] as ControlStatus[]).map((s) => ({ key: STATUS_LABEL[s], color: STATUS_COLOR[s] })), unit: "controls" },
  );
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

function findingRef(f: Finding): string {
  return `<a href="#${anchor(f.fingerprint)}">${esc(f.ruleId)}</a> <span class="muted">${esc(locationText(f))}</span>`;
}

function controlRow(c: ControlAssessment): string {
  const list = (fs: Finding[]): string => (fs.length === 0 ? "" : `<ul class="refs">${fs.slice(0, 20).map((f) => `<li>${sevBadge(f.severity)} ${findingRef(f)}</li>`).join("")}${fs.length > 20 ? `<li class="muted">…and ${fs.length - 20} more</li>` : ""}</ul>`);
  const assessed = c.assessedBy.length > 0 ? `${c.assessedBy.map(esc).join(", ")}<br><span class="muted">over ${c.targetsAssessed} artifact${c.targetsAssessed === 1 ? "" : "s"}</span>` : `<span class="muted">not assessed: ${esc(c.notAssessedReason ?? "no rule assessed it")}</span>`;
  return `<tr class="row-${c.status}"><td><strong>${esc(c.control.id)}</strong><br><span class="muted">${esc(c.control.title)}</span></td><td>${badge(c.status)}</td><td>${c.findings.length}${list(c.findings)}</td><td>${c.accepted.length}${list(c.accepted)}</td><td>${assessed}</td></tr>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

function dl(items: Array<[string, string | undefined]>): string {
  return `<dl class="kv">${items
    .filter((i): i is [string, string] => i[1] !== undefined && i[1] !== "")
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`)
    .join("")}</dl>`;
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
h3{font-size:16px;margin:18px 0 8px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:13px}
th,td{border:1px solid var(--line);padding:5px 7px;text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600}
td.num,th.num{text-align:right}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.muted{color:var(--muted)}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:130px;background:var(--panel)}
.card .n{font-size:22px;font-weight:700}
.badge,.sev{display:inline-block;border-radius:3px;padding:1px 6px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.st-failed{background:${STATUS_COLOR.failed}}.st-passed{background:${STATUS_COLOR.passed}}.st-not-assessed{background:${STATUS_COLOR["not-assessed"]}}
${SEVERITIES.map((s) => `.sev-${s}{background:${SEVERITY_COLOR[s]}}`).join("")}
.state{font-size:12px;border:1px solid var(--line);border-radius:3px;padding:0 4px}
ul.refs{margin:4px 0 0;padding-left:16px}
.chart{max-width:760px;width:100%;height:auto;display:block;margin:8px 0}
.chart .tick{font-size:11px;fill:#374151}.chart .axis{font-size:12px;fill:#111827}.chart .grid{stroke:#e5e7eb;stroke-width:1}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0}
dl.kv dt{font-weight:600}dl.kv dd{margin:0}
.note{background:#fffbeb;border:1px solid #fcd34d;padding:6px 10px;border-radius:4px}
footer{padding:16px 32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
@media print{
  @page{size:A4;margin:14mm 12mm}
  nav{display:none}
  body{font-size:11px}
  header,main,footer{padding-left:0;padding-right:0}
  main{max-width:none}
  h2,h3{break-after:avoid}
  tr,.card,.chart{break-inside:avoid}
  thead{display:table-header-group}
  a{color:inherit;text-decoration:none}
  .badge,.sev,.chart,.card{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}`;

export function toHtml(e: Evidence, catalog: Catalog): string {
  const r = e.report;
  const inv = r.invocation;
  const failed = e.assessments.reduce((a, x) => a + x.counts.failed, 0);
  const passed = e.assessments.reduce((a, x) => a + x.counts.passed, 0);
  const notAssessed = e.assessments.reduce((a, x) => a + x.counts["not-assessed"], 0);
  const counted = r.findings.filter((f) => f.suppression === undefined && f.baselineState !== "absent");
  const body: string[] = [];

  body.push(
    section(
      "summary",
      "Summary",
      `<div class="cards">
<div class="card"><div class="n">${r.targets.length}</div>artifacts scanned</div>
<div class="card"><div class="n">${counted.length}</div>findings that count</div>
<div class="card"><div class="n">${e.acceptedRisks.length}</div>accepted risks</div>
<div class="card"><div class="n" style="color:${STATUS_COLOR.failed}">${failed}</div>controls failed</div>
<div class="card"><div class="n" style="color:${STATUS_COLOR.passed}">${passed}</div>controls passed</div>
<div class="card"><div class="n" style="color:#6b7280">${notAssessed}</div>controls not assessed</div>
</div>
<table class="sevtable"><thead><tr>${SEVERITIES.map((s) => `<th class="num">${sevBadge(s)}</th>`).join("")}${r.summary.new !== undefined ? `<th class="num">new since baseline</th><th class="num">gone since baseline</th>` : ""}</tr></thead>
<tbody><tr>${SEVERITIES.map((s) => `<td class="num">${r.summary.bySeverity[s]}</td>`).join("")}${r.summary.new !== undefined ? `<td class="num">${r.summary.new}</td><td class="num">${r.summary.absent ?? 0}</td>` : ""}</tr></tbody></table>
${controlStatusChart(e)}
<p class="muted">A control <strong>failed</strong> when a finding that counts (not an accepted risk) maps to it; <strong>passed</strong> when an aigis rule mapped to it ran over at least one applicable artifact and nothing counts against it; <strong>not assessed</strong> when no mapped rule had an applicable artifact in scope. Passed means aigis found nothing, within what its rules check; it is not a certification.</p>`,
    ),
  );

  const controlsBody = e.assessments
    .map(
      (a) => `<h3 id="fw-${esc(a.framework.id)}">${esc(a.framework.name)} <span class="muted">(${esc(a.framework.version)}): ${a.counts.failed} failed, ${a.counts.passed} passed, ${a.counts["not-assessed"]} not assessed</span></h3>
<table><thead><tr><th style="width:26%">Control</th><th>Status</th><th style="width:26%">Findings</th><th style="width:18%">Accepted risks</th><th>Assessed by</th></tr></thead><tbody>${a.controls.map(controlRow).join("")}</tbody></table>`,
    )
    .join("");
  body.push(section("controls", "Controls", controlsBody || `<p class="muted">No framework selected.</p>`));

  body.push(section("findings-by-control", "Findings by control and severity", findingsByControlChart(e)));

  const rows = r.findings.slice(0, MAX_FINDING_ROWS).map((f) => {
    const state = [f.baselineState ? `<span class="state">${esc(f.baselineState)}</span>` : "", f.suppression ? `<span class="state">accepted risk</span>` : ""].join(" ");
    const rule = catalog.rules.get(f.ruleId);
    return `<tr id="${anchor(f.fingerprint)}"><td>${sevBadge(f.severity)}</td><td><a href="${esc(ruleDocsUri(f.ruleId))}">${esc(f.ruleId)}</a>${rule ? `<br><span class="muted">${esc(rule.title)}</span>` : ""}</td><td><code>${esc(locationText(f))}</code></td><td>${esc(f.message)} ${state}</td><td>${f.controls.map(esc).join(", ")}</td><td><code>${esc(f.fingerprint.slice(0, 12))}</code></td></tr>`;
  });
  body.push(
    section(
      "findings",
      "Findings",
      r.findings.length === 0
        ? `<p>No findings.</p>`
        : `<table><thead><tr><th>Severity</th><th>Rule</th><th>Where</th><th>Finding</th><th>Controls</th><th>Fingerprint</th></tr></thead><tbody>${rows.join("")}</tbody></table>${r.findings.length > MAX_FINDING_ROWS ? `<p class="note">${r.findings.length - MAX_FINDING_ROWS} more findings are in the JSON report.</p>` : ""}`,
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
                `<tr><td>${sevBadge(a.severity)} <a href="#${anchor(a.fingerprint)}">${esc(a.ruleId)}</a><br><code>${esc(a.where)}</code></td><td>${esc(a.justification)}</td><td>${esc(a.expires ?? "no expiry")}</td><td>${esc(a.author ?? "")}</td><td><code>${esc(a.source ?? "")}</code></td></tr>`,
            )
            .join("")}</tbody></table>`,
    ),
  );

  body.push(
    section(
      "probes",
      "Model robustness probes",
      r.probes.length === 0
        ? `<p class="muted">No probe results in this report (run <code>aigis probe</code> to add them).</p>`
        : r.probes
            .map(
              (p, i) => `<h3>${esc(p.model)} <span class="muted">(${esc(p.format)}, ${p.samples} samples, clean accuracy ${p.cleanAccuracy.toFixed(3)})</span></h3>
${p.attacks.length > 0 ? robustnessChart(p, i) : ""}
<table><thead><tr><th>Attack</th><th>Norm</th><th class="num">eps</th><th class="num">Steps</th><th class="num">Robust accuracy</th><th class="num">Attack success</th><th class="num">Mean perturbation</th><th class="num">Queries</th><th class="num">Seconds</th></tr></thead><tbody>${p.attacks
                .map(
                  (a) =>
                    `<tr><td>${esc(a.name)}</td><td>${esc(a.norm)}</td><td class="num">${a.eps}</td><td class="num">${a.steps ?? ""}</td><td class="num">${a.robustAccuracy.toFixed(3)}</td><td class="num">${a.attackSuccessRate.toFixed(3)}</td><td class="num">${a.meanPerturbation.toFixed(4)}</td><td class="num">${a.queries}</td><td class="num">${a.seconds.toFixed(2)}</td></tr>`,
                )
                .join("")}</tbody></table>
${p.backdoor ? `<p>Backdoor check (${esc(p.backdoor.method)}): <strong>${p.backdoor.suspected ? `suspected${p.backdoor.targetLabel !== undefined ? `, target label ${esc(p.backdoor.targetLabel)}` : ""}` : "not suspected"}</strong>, score ${p.backdoor.score.toFixed(2)}.</p>` : ""}`,
            )
            .join(""),
    ),
  );

  body.push(
    section(
      "artifacts",
      "Scanned artifacts",
      r.targets.length === 0
        ? `<p class="muted">No artifacts.</p>`
        : `<table><thead><tr><th>Artifact</th><th>Kind</th><th class="num">Size</th><th>SHA-256</th><th>Protection</th><th>Signature</th></tr></thead><tbody>${r.targets
            .map(
              (t) =>
                `<tr><td><code>${esc(t.uri)}</code></td><td>${esc(t.kind)}</td><td class="num" title="${t.bytes} bytes">${bytesText(t.bytes)}</td><td><code>${esc(t.sha256 || "not hashed")}</code></td><td>${t.protection ? esc(`${t.protection.state}${t.protection.scheme ? ` (${t.protection.scheme})` : ""}`) : ""}</td><td>${t.signature ? esc(`${t.signature.status}${t.signature.reasons.length ? `: ${t.signature.reasons.join("; ")}` : ""}`) : ""}</td></tr>`,
            )
            .join("")}</tbody></table>`,
    ),
  );

  body.push(
    section(
      "scope",
      "Scope and run",
      dl([
        ["Tool", esc(`${r.tool.name} ${r.tool.version}`)],
        ["Rule catalogue (scan)", r.tool.rulesVersion ? `<code>${esc(r.tool.rulesVersion)}</code>` : `<span class="muted">not recorded</span>`],
        ["Rule catalogue (assessment)", `<code>${esc(e.assessedWithRules)}</code>`],
        ["Frameworks", e.assessments.map((a) => esc(`${a.framework.name} ${a.framework.version}`)).join("<br>")],
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
    ["findings-by-control", "Chart"],
    ["findings", "Findings"],
    ["accepted-risks", "Accepted risks"],
    ["probes", "Probes"],
    ["artifacts", "Artifacts"],
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
<footer>Generated by aigis ${esc(r.tool.version)}. Control statuses reflect the checks aigis ran on the artifacts listed above; see docs/evidence.md for how they are decided.</footer>
</body>
</html>
`;
}
