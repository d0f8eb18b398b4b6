// A zip entry's "encrypted" flag is not encryption: PyTorch and Python read flagged plain data
// as plain. Protection must only call a zip encrypted when its data is ciphertext.

import { join } from "node:path";
import { runScan } from "../../../src/core/run";

const ROOT = join(__dirname, "..", "..", "..");

async function protectionOf(path: string): Promise<unknown> {
  const { report } = await runScan({ paths: [path], cwd: ROOT, jobs: 1 });
  return report.targets.find((t) => t.uri === path)?.protection;
}

describe("zip protection state", () => {
  it("does not count the fake-encryption flag on plain data as encryption", async () => {
    const p = (await protectionOf("fixtures/artifacts/malicious/torch-zip-encrypted-flag.pt")) as { state: string };
    expect(p.state).not.toBe("encrypted");
  });

  it.each([
    ["fixtures/artifacts/evasion/benign/zip-password-zipcrypto.zip", "zipcrypto"],
    ["fixtures/artifacts/evasion/benign/zip-password-stored.zip", "zipcrypto"],
    ["fixtures/artifacts/evasion/benign/zip-password-aes.zip", "zip-aes"],
  ])("records a zip made with a password (%s) as encrypted", async (path, scheme) => {
    expect(await protectionOf(path)).toEqual({ state: "encrypted", scheme });
  });
});
