import { runRuleTests } from "../../../helpers/rule-tester";
import { archiveBomb, archivePathTraversal, archiveSymlink, zipInconsistent, type ArchiveDocument, type ArchiveMember } from "../../../../src/scanners/artifacts/rules/archive";

const limits = { maxArchiveEntries: 100, maxArchiveTotalBytes: 64 * 1024 * 1024, maxCompressionRatio: 200 };
const doc = (members: ArchiveMember[], extra: Partial<ArchiveDocument> = {}): ArchiveDocument => ({ format: "zip", members, anomalies: [], entryLimitHit: false, expansionLimitHit: [], limits, ...extra });
const file = (name: string, uncompressedSize = 10, compressedSize = 10): ArchiveMember => ({ name, type: "file", uncompressedSize, compressedSize, offset: 0 });

runRuleTests(archivePathTraversal, {
  valid: [
    { name: "relative names", doc: doc([file("model/data.pkl"), file("a/../b.txt"), file("./c")]) },
    { name: "link inside the folder", doc: doc([{ name: "a/link", type: "symlink", linkName: "../a/b", uncompressedSize: 0, offset: 0 }]) },
  ],
  invalid: [
    { name: "dot-dot", doc: doc([file("../../etc/cron.d/x")]), findings: [{ message: 'climbs out', location: { member: "../../etc/cron.d/x" } }] },
    { name: "absolute", doc: doc([file("/etc/passwd")]), findings: [{ message: "absolute name" }] },
    { name: "windows drive and backslashes", doc: doc([file("C:\\Windows\\x"), file("a\\..\\..\\x")]), findings: [{ message: "absolute" }, { message: "climbs" }] },
    { name: "link target outside", doc: doc([{ name: "w", type: "symlink", linkName: "/etc/shadow", uncompressedSize: 0, offset: 0 }]), findings: [{ message: "points outside", evidence: { target: "/etc/shadow" } }] },
  ],
});

runRuleTests(archiveSymlink, {
  valid: [{ name: "files and folders", doc: doc([file("a"), { name: "d/", type: "dir", uncompressedSize: 0, offset: 0 }]) }],
  invalid: [
    { name: "symlink", doc: doc([{ name: "l", type: "symlink", linkName: "x", uncompressedSize: 0, offset: 4 }]), findings: [{ message: "symbolic link", location: { member: "l", offset: 4 } }] },
    { name: "hard link", doc: doc([{ name: "h", type: "hardlink", linkName: "x", uncompressedSize: 0, offset: 0 }], { format: "tar" }), findings: [{ message: "hard link" }] },
  ],
});

runRuleTests(archiveBomb, {
  valid: [
    { name: "ordinary ratio", doc: doc([file("w.bin", 4 << 20, 2 << 20)]) },
    { name: "tiny but very compressible", doc: doc([file("zeros", 100_000, 100)]) },
  ],
  invalid: [
    { name: "ratio", doc: doc([file("z", 8 << 20, 8000)]), findings: [{ message: "expands 1049 times", evidence: { ratio: 1049 } }] },
    { name: "total size", doc: doc([file("a", 40 << 20, 40 << 20), file("b", 40 << 20, 40 << 20)]), findings: [{ message: "declares 83886080 bytes" }] },
    { name: "entry count", doc: doc([], { entryLimitHit: true }), findings: [{ message: "more than 100 entries" }] },
    { name: "stream expansion", doc: doc([], { format: "gzip", expansionLimitHit: [{ limit: 1000 }] }), findings: [{ message: "gzip stream expands past 1000 bytes" }] },
    {
      name: "several causes in one file are one finding with counts",
      doc: doc([file("a!/z1", 8 << 20, 8000), file("a!/z2", 16 << 20, 8000)], { expansionLimitHit: [{ member: "b", limit: 1000 }] }),
      findings: [{ message: 'archive bomb: 2 members expand above the ratio limit of 200 (most: "a!/z2", 2097 times); 1 member or stream expand past', evidence: { membersOverRatio: 2, expansionStopped: 1 } }],
    },
  ],
});

runRuleTests(zipInconsistent, {
  valid: [{ name: "no anomalies", doc: doc([file("a")]) }],
  invalid: [
    {
      name: "name mismatch and CRC",
      doc: doc([file("a")], { anomalies: [{ kind: "name-mismatch", message: 'member "x" is named "y" in its local header', member: "x", offset: 0 }, { kind: "crc-mismatch", message: "crc", member: "y" }] }),
      findings: [{ message: "(name-mismatch)", location: { member: "x", offset: 0 }, evidence: { anomaly: "name-mismatch" } }, { evidence: { anomaly: "crc-mismatch" } }],
    },
  ],
});
