// SHA256SUMS-style manifests: GNU coreutils lines ("HEX  name", "HEX *name") and BSD tag
// lines ("SHA256 (name) = HEX").

export interface ManifestEntry {
  name: string;
  sha256: string;
  line: number;
}

export function parseSha256Manifest(text: string): { entries: ManifestEntry[]; malformed: number[] } {
  const entries: ManifestEntry[] = [];
  const malformed: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line.trim() === "" || line.startsWith("#")) return;
    const gnu = /^\\?([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    const bsd = /^SHA256 \((.+)\) = ([0-9a-fA-F]{64})$/.exec(line);
    if (gnu) entries.push({ name: gnu[2]!.replace(/^\.\//, ""), sha256: gnu[1]!.toLowerCase(), line: i + 1 });
    else if (bsd) entries.push({ name: bsd[1]!.replace(/^\.\//, ""), sha256: bsd[2]!.toLowerCase(), line: i + 1 });
    else malformed.push(i + 1);
  });
  return { entries, malformed };
}
