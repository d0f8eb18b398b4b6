// aigis verify through commander, in-process, with a captured CliIO.
import { Command } from "commander";
import { register } from "../../../src/cli/commands/verify";
import type { CliIO, CommandOutcome } from "../../../src/cli/io";
import { UsageError } from "../../../src/core/errors";
import { ROOT } from "../../scanners/protection/helpers";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIO = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {}, cwd: ROOT };
  const outcome: CommandOutcome = { exitCode: 0 };
  const program = new Command().exitOverride();
  register(program, io, outcome);
  await program.parseAsync(["node", "aigis", "verify", ...args]);
  return { code: outcome.exitCode, out, err };
}

const S = "fixtures/protection/signatures";
const CA = "fixtures/protection/pki/root-ca.pem";

describe("aigis verify", () => {
  it("exits 0 for a good CMS signature and says who signed", async () => {
    const r = await run([`${S}/good/model.npy`, "--signature", `${S}/good/model.npy.p7s`, "--trust-anchor", CA]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/VALID .*aigis fixture good/);
  });

  it("exits 1 for a tampered artifact, and reports JSON on request", async () => {
    const r = await run([`${S}/tampered/model.npy`, "--signature", `${S}/tampered/model.npy.p7s`, "--trust-anchor", CA, "--format", "json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ type: "cms", status: "invalid" });
  });

  it("weak signatures exit 1 unless --allow-weak", async () => {
    const args = [`${S}/sha1/model.npy`, "--signature", `${S}/sha1/model.npy.p7s`, "--trust-anchor", CA];
    expect((await run(args)).code).toBe(1);
    expect((await run([...args, "--allow-weak"])).code).toBe(0);
  });

  it("verifies a model signing bundle over a folder and lists the files that differ", async () => {
    const key = "fixtures/protection/pki/model-signing.pub.pem";
    const good = await run(["fixtures/protection/sigstore/good/model", "--signature", "fixtures/protection/sigstore/good/model.sig", "--trust-anchor", key]);
    expect(good.code).toBe(0);
    const bad = await run(["fixtures/protection/sigstore/unlisted/model", "--signature", "fixtures/protection/sigstore/unlisted/model.sig", "--trust-anchor", key, "--format", "json"]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).files).toEqual(expect.arrayContaining([{ name: "extra.txt", result: "unlisted" }]));
  });

  it("a missing trust anchor file is a usage error", async () => {
    await expect(run([`${S}/good/model.npy`, "--signature", `${S}/good/model.npy.p7s`, "--trust-anchor", "nope.pem"])).rejects.toThrow(UsageError);
  });
});
