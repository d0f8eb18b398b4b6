// The documents the protection rules check: one per concern, built by the scanner.

import type { Protection, SignatureStatus, TargetKind } from "../../types";
import type { KindCategory } from "./settings";

/** One target's encryption state and whether policy requires encryption for it. */
export interface EncryptionDoc {
  uri: string;
  kind: TargetKind;
  protection: Protection;
  /** How the state was decided (format recognised or entropy measured). */
  detail: string;
  /** Why the policy requires encryption (undefined: not required). */
  requirement?: string;
}

/** A signature verdict for one artifact (detached CMS, model signing bundle, or none where required). */
export interface SignatureDoc {
  uri: string;
  /** What the signature covers, for messages (defaults to uri; a bundle covers a folder). */
  subject?: string;
  signatureUri?: string;
  via: "cms" | "bundle" | "policy";
  status: SignatureStatus;
  reasons: string[];
  signer?: string;
  requirement?: string;
  evidence?: Record<string, unknown>;
}

export interface IntegrityEntry {
  /** The file's path relative to the working directory. */
  uri: string;
  /** As written in the manifest or bundle. */
  name: string;
  expected: string;
  /** SHA-256 of the file now; null when the file is missing. */
  actual: string | null;
  /** Manifest line (1-based). */
  line?: number;
}

/** What a SHA256SUMS manifest or a model signing bundle lists, against what is on disk. */
export interface IntegrityDoc {
  source: { uri: string; type: "manifest" | "bundle" };
  entries: IntegrityEntry[];
  /** Files under the covered folder that the source does not list. */
  unlisted: string[];
}

export interface FileModeDoc {
  uri: string;
  kind: TargetKind;
  category?: KindCategory;
  mode: number;
  personalData: boolean;
}
