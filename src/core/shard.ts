// `aigis scan --shard I/N`: a deterministic split of the discovered files, so N machines
// (a CI matrix, a Kubernetes Indexed Job) each scan one part and `aigis merge` joins them.
// Each file goes to the shard given by a hash of its key, not by its position in the list,
// so adding or removing a file moves only that file. The key is the path with the base
// name cut at its first dot, which keeps a model and its sidecars (m.pt, m.pt.sig,
// m.pt.sha256) in one shard for the checks that look at neighbouring files.

import { createHash } from "node:crypto";
import { UsageError } from "./errors";

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

export function parseShard(value: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`invalid --shard '${value}' (use I/N with 1 <= I <= N, e.g. 2/8)`);
  return { index, count };
}

export function shardKey(uri: string): string {
  const slash = uri.lastIndexOf("/");
  const dir = uri.slice(0, slash + 1);
  const base = uri.slice(slash + 1);
  const dot = base.indexOf(".", 1);
  return dir + (dot > 0 ? base.slice(0, dot) : base);
}

/** The 1-based shard a path belongs to. */
export function shardOf(uri: string, count: number): number {
  const digest = createHash("sha256").update(shardKey(uri)).digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

export function inShard(uri: string, shard: ShardSpec | undefined): boolean {
  return shard === undefined || shard.count === 1 || shardOf(uri, shard.count) === shard.index;
}
