// Headless Chromium for the tests that print or load the HTML report as a reader would.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => existsSync(p));

export function chromiumFlags(profile: string): string[] {
  return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-sync", "--disable-component-update", `--user-data-dir=${mkdtempSync(join(tmpdir(), profile))}`];
}

/** Pages in a PDF as Chromium writes it (one uncompressed page object each). */
export function pdfPageCount(pdf: Buffer): number {
  return (pdf.toString("latin1").match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
}

/** Prints an HTML file on the given paper size and returns the PDF. */
export function printToPdf(htmlPath: string, paper: "A4" | "letter"): Buffer {
  if (!CHROMIUM) throw new Error("Chromium is not installed");
  const dir = mkdtempSync(join(tmpdir(), "aigis-print-"));
  // The report leaves the paper size to the printer; pin it the way a reader's print dialog would.
  const page = join(dir, "page.html");
  writeFileSync(page, readFileSync(htmlPath, "utf8").replace("<style>", `<style>@page{size:${paper}}`));
  const pdf = join(dir, "out.pdf");
  execFileSync(CHROMIUM, [...chromiumFlags("aigis-chr-pdf-"), "--no-pdf-header-footer", `--print-to-pdf=${pdf}`, `file://${page}`], { timeout: 120_000, stdio: "ignore" });
  return readFileSync(pdf);
}
