// File names are read as bytes: a name that is not valid UTF-8 is still scanned, and shown with %XX.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { discover, fsPath, nameFromBytes } from "../../src/core/discover";
import { osSystemCall, scanPaths, tempDir } from "./helpers";

const CANARY = "/tmp/aigis-hostile-name-canary";

describe("file names that are not valid UTF-8", () => {
  it("shows invalid bytes as %XX and keeps valid UTF-8 (including a real U+FFFD) as it is", () => {
    expect(nameFromBytes(Buffer.from([0x6d, 0xff, 0x2e, 0x70, 0x6b, 0x6c]))).toEqual({ name: "m%FF.pkl", exact: false });
    expect(nameFromBytes(Buffer.from("modèle.pkl"))).toEqual({ name: "modèle.pkl", exact: true });
    expect(nameFromBytes(Buffer.from("a\uFFFDb"))).toEqual({ name: "a\uFFFDb", exact: true });
    // A cut multi-byte sequence and an overlong encoding are invalid too.
    expect(nameFromBytes(Buffer.from([0x61, 0xc3]))).toEqual({ name: "a%C3", exact: false });
    expect(nameFromBytes(Buffer.from([0xc0, 0xaf]))).toEqual({ name: "%C0%AF", exact: false });
  });

  it("scans a malicious pickle whose name (and folder name) is not UTF-8, and reports it at critical", async () => {
    const dir = tempDir();
    const badDir = Buffer.concat([Buffer.from(join(dir, "d")), Buffer.from([0xfe])]);
    mkdirSync(badDir);
    const badFile = Buffer.concat([badDir, Buffer.from("/m"), Buffer.from([0xff, 0xfe]), Buffer.from(".pkl")]);
    writeFileSync(badFile, Buffer.concat([Buffer.from([0x80, 0x02]), osSystemCall(CANARY), Buffer.from(".")]));
    writeFileSync(join(dir, "plain.txt"), "hello\n");

    const found = await discover([dir], { cwd: dir, maxFileSize: 1 << 30 });
    const entry = found.files.find((f) => f.uri.startsWith("d%FE/"));
    expect(entry?.uri).toBe("d%FE/m%FF%FE.pkl");
    expect(Buffer.compare(fsPath(entry!) as Buffer, badFile)).toBe(0);

    const report = await scanPaths([dir], dir);
    expect(report.findings.filter((f) => f.ruleId === "aigis/io-error")).toEqual([]);
    const hit = report.findings.find((f) => f.ruleId === "artifact/pickle-code-execution");
    expect(hit?.location.uri).toBe("d%FE/m%FF%FE.pkl");
    expect(hit?.severity).toBe("critical");
    expect(report.targets.find((t) => t.uri === "d%FE/m%FF%FE.pkl")?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(CANARY)).toBe(false);
  });
});
