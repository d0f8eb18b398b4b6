import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discover } from "../../src/core/discover";
import { UsageError } from "../../src/core/errors";

function tree(): { root: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), "aigis-disc-"));
  const root = join(base, "repo");
  const outside = join(base, "secret");
  for (const d of ["models/sub", "data", "node_modules/pkg", ".git", "tmp"]) mkdirSync(join(root, d), { recursive: true });
  mkdirSync(outside);
  for (const f of ["models/a.pt", "models/sub/b.pkl", "data/x.csv", "data/y.csv", "node_modules/pkg/m.pkl", ".git/HEAD", "tmp/scratch.bin"]) writeFileSync(join(root, f), "x");
  writeFileSync(join(outside, "creds.txt"), "x");
  writeFileSync(join(root, ".aigisignore"), "tmp/\n*.bin\n!keep.bin\n");
  symlinkSync(outside, join(root, "link-out"));
  symlinkSync(join(root, "models"), join(root, "link-in"));
  symlinkSync(join(root, "missing"), join(root, "dangling"));
  return { root, outside };
}

describe("discover", () => {
  it("walks folders, honours .aigisignore and default ignores, and keeps symlinks inside the root", async () => {
    const { root } = tree();
    const { files, skipped } = await discover(["."], { cwd: root, maxFileSize: 1 << 30 });
    const uris = files.map((f) => f.uri).sort();
    expect(uris).toEqual(["data/x.csv", "data/y.csv", "models/a.pt", "models/sub/b.pkl"].sort());
    expect(skipped).toEqual(expect.arrayContaining([expect.objectContaining({ uri: "link-out", reason: "symlink-outside-root" })]));
    expect(skipped).toEqual(expect.arrayContaining([expect.objectContaining({ uri: "tmp", reason: "ignored" })]));
    expect(skipped).toEqual(expect.arrayContaining([expect.objectContaining({ uri: "dangling", reason: "unreadable" })]));
  });

  it("applies --include and --exclude globs to paths and base names", async () => {
    const { root } = tree();
    const inc = await discover(["."], { cwd: root, include: ["models/**"], maxFileSize: 1 << 30 });
    expect(inc.files.map((f) => f.uri).sort()).toEqual(["models/a.pt", "models/sub/b.pkl"]);
    const exc = await discover(["."], { cwd: root, exclude: ["*.csv"], maxFileSize: 1 << 30 });
    expect(exc.files.map((f) => f.uri)).not.toContain("data/x.csv");
  });

  it("scans explicit files even when ignored, and skips files over the size limit", async () => {
    const { root } = tree();
    const r = await discover(["tmp/scratch.bin", "data"], { cwd: root, maxFileSize: 0 });
    expect(r.files).toEqual([]);
    expect(r.skipped.filter((s) => s.reason === "too-large").map((s) => s.uri).sort()).toEqual(["data/x.csv", "data/y.csv", "tmp/scratch.bin"]);
  });

  it("scans a file once when it is named through a link and also reached by walking", async () => {
    const { root } = tree();
    const r = await discover(["link-in/a.pt", "models"], { cwd: root, maxFileSize: 1 << 30 });
    expect(r.files.map((f) => f.uri).sort()).toEqual(["link-in/a.pt", "models/sub/b.pkl"]);
  });

  it("fails with a usage error for a missing path", async () => {
    await expect(discover(["nope"], { cwd: tmpdir(), maxFileSize: 1 })).rejects.toThrow(UsageError);
  });
});
