import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli";

const ROOT = join(__dirname, "..", "..");

function which(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}
const HAS_OPENSSL = which("openssl");
if (!HAS_OPENSSL) console.warn("skipping the CMS signature tests: openssl is not on PATH");
const opensslIt = HAS_OPENSSL ? it : it.skip;

function verify(content: string, sig: string, ca: string): { ok: boolean; stderr: string } {
  const r = spawnSync("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", content, "-CAfile", ca, "-out", "/dev/null"], { encoding: "utf8" });
  return { ok: r.status === 0, stderr: r.stderr };
}

describe("signed evidence", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "aigis-sign-"));
    if (!HAS_OPENSSL) return;
    const base = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-sha256"];
    execFileSync("openssl", [...base, "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-subj", "/CN=aigis evidence signer"], { stdio: "ignore" });
    execFileSync("openssl", [...base, "-keyout", join(dir, "other-key.pem"), "-out", join(dir, "other.pem"), "-subj", "/CN=someone else"], { stdio: "ignore" });
    for (const curve of ["P-256", "P-384"]) execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", `ec_paramgen_curve:${curve}`, "-nodes", "-days", "2", "-keyout", join(dir, `${curve}-key.pem`), "-out", join(dir, `${curve}.pem`), "-subj", `/CN=aigis ${curve} signer`], { stdio: "ignore" });
    execFileSync("openssl", ["req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "2", "-keyout", join(dir, "ed-key.pem"), "-out", join(dir, "ed.pem"), "-subj", "/CN=ed25519 signer"], { stdio: "ignore" });
  });

  opensslIt("writes REPORT.p7s that openssl cms -verify accepts, and rejects once the report changes", async () => {
    const results = join(dir, "results.json");
    const scan = await runCli(["scan", "fixtures/demo/models/evil-model.pkl", "-q", "-o", results, "--fail-on", "none", "--sign-key", join(dir, "key.pem"), "--sign-cert", join(dir, "cert.pem")], { cwd: ROOT });
    expect(scan.code).toBe(0);
    expect(verify(results, `${results}.p7s`, join(dir, "cert.pem")).ok).toBe(true);

    const html = join(dir, "evidence.html");
    const run = await runCli(["report", results, "-o", html, "-o", join(dir, "evidence.json"), "--sign-key", join(dir, "key.pem"), "--sign-cert", join(dir, "cert.pem")], { cwd: ROOT });
    expect(run.code).toBe(0);
    expect(existsSync(`${html}.p7s`) && existsSync(join(dir, "evidence.json.p7s"))).toBe(true);
    expect(readFileSync(`${html}.p7s`)[0]).toBe(0x30); // DER SEQUENCE
    const good = verify(html, `${html}.p7s`, join(dir, "cert.pem"));
    expect(good.stderr).toContain("Verification successful");
    expect(good.ok).toBe(true);
    expect(verify(html, `${html}.p7s`, join(dir, "other.pem")).ok).toBe(false);
    appendFileSync(html, "<!-- edited -->");
    expect(verify(html, `${html}.p7s`, join(dir, "cert.pem")).ok).toBe(false);
  });

  opensslIt.each(["P-256", "P-384"])("signs with an EC %s key: openssl and aigis verify accept it, an edit breaks it", async (curve) => {
    const html = join(dir, `evidence-${curve}.html`);
    const results = join(dir, `results-${curve}.json`);
    expect((await runCli(["scan", "fixtures/demo/models/evil-model.pkl", "-q", "-o", results, "--fail-on", "none"], { cwd: ROOT })).code).toBe(0);
    const run = await runCli(["report", results, "-o", html, "--sign-key", join(dir, `${curve}-key.pem`), "--sign-cert", join(dir, `${curve}.pem`)], { cwd: ROOT });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const good = verify(html, `${html}.p7s`, join(dir, `${curve}.pem`));
    expect(good.stderr).toContain("Verification successful");
    const own = await runCli(["verify", html, "--signature", `${html}.p7s`, "--trust-anchor", join(dir, `${curve}.pem`)], { cwd: ROOT });
    expect(own.stdout).toContain("VALID");
    expect(own.stdout).toContain(curve === "P-256" ? "ecdsa-with-SHA256" : "ecdsa-with-SHA384");
    expect(own.code).toBe(0);
    appendFileSync(html, "<!-- edited -->");
    expect(verify(html, `${html}.p7s`, join(dir, `${curve}.pem`)).ok).toBe(false);
  });

  opensslIt("refuses a certificate that is not the key's, an Ed25519 key, and signing without an output file", async () => {
    const mismatch = await runCli(["scan", "fixtures/demo/models/evil-model.pkl", "-q", "-o", join(dir, "x.json"), "--sign-key", join(dir, "key.pem"), "--sign-cert", join(dir, "other.pem")], { cwd: ROOT });
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain("does not belong to --sign-key");
    const ed = await runCli(["scan", "fixtures/demo/models/evil-model.pkl", "-q", "-o", join(dir, "x.json"), "--sign-key", join(dir, "ed-key.pem"), "--sign-cert", join(dir, "ed.pem")], { cwd: ROOT });
    expect(ed.code).toBe(2);
    expect(ed.stderr).toMatch(/ed25519 keys are not supported.*RSA or EC/);
    const noFile = await runCli(["scan", "fixtures/demo/models/evil-model.pkl", "-f", "json", "--sign-key", join(dir, "key.pem"), "--sign-cert", join(dir, "cert.pem")], { cwd: ROOT });
    expect(noFile.code).toBe(2);
  });
});
