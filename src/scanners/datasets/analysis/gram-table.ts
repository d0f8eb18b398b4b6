// Document frequencies of word n-grams in typed arrays: an open-addressing hash table keyed by
// two independent 32-bit hashes of the n-gram's token ids (a 64-bit key: collisions are
// negligible at millions of n-grams), holding per n-gram its document frequency and a running
// majority class (Boyer-Moore vote: a class holding over half the documents is the one left).
// Millions of n-grams cost tens of bytes each, with no string or object per n-gram.

export class GramTable {
  private capacity = 0;
  private k1 = new Uint32Array(0);
  private k2 = new Uint32Array(0);
  private used = new Uint8Array(0);
  df = new Int32Array(0);
  majority = new Int32Array(0);
  private votes = new Int32Array(0);
  private lastDoc = new Int32Array(0);
  size = 0;
  /** True once an n-gram could not be added (the table reached `maxEntries`). */
  full = false;

  private readonly maxCapacity: number;

  constructor(private readonly maxEntries: number) {
    this.allocate(1 << 16);
    this.maxCapacity = Math.max(this.capacity, 2 ** Math.ceil(Math.log2(maxEntries / 0.6)));
  }

  get slots(): number {
    return this.capacity;
  }

  /** The slot of key (a, b), or -1 when absent. */
  find(a: number, b: number): number {
    const s = this.slotOf(a, b);
    return this.used[s] ? s : -1;
  }

  /** Counts document `doc` of class `cls` for key (a, b) once per document; returns false when the table is full. */
  add(a: number, b: number, doc: number, cls: number): boolean {
    if (this.size >= this.capacity * 0.6 && this.capacity < this.maxCapacity) this.grow();
    const s = this.slotOf(a, b);
    if (!this.used[s]) {
      if (this.size >= this.maxEntries || this.size >= this.capacity * 0.9) {
        this.full = true;
        return false;
      }
      this.used[s] = 1;
      this.k1[s] = a;
      this.k2[s] = b;
      this.size++;
    }
    if (this.lastDoc[s] === doc) return true;
    this.lastDoc[s] = doc;
    this.df[s]!++;
    if (this.votes[s] === 0) {
      this.majority[s] = cls;
      this.votes[s] = 1;
    } else if (this.majority[s] === cls) this.votes[s]!++;
    else this.votes[s]!--;
    return true;
  }

  /** Linear probing: the slot holding key (a, b), or the empty slot where it would go. */
  private slotOf(a: number, b: number): number {
    const mask = this.capacity - 1;
    let s = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    while (this.used[s]) {
      if (this.k1[s] === a && this.k2[s] === b) return s;
      s = (s + 1) & mask;
    }
    return s;
  }

  private allocate(capacity: number): void {
    this.capacity = capacity;
    this.k1 = new Uint32Array(capacity);
    this.k2 = new Uint32Array(capacity);
    this.used = new Uint8Array(capacity);
    this.df = new Int32Array(capacity);
    this.majority = new Int32Array(capacity);
    this.votes = new Int32Array(capacity);
    this.lastDoc = new Int32Array(capacity).fill(-1);
  }

  private grow(): void {
    const old = { k1: this.k1, k2: this.k2, used: this.used, df: this.df, majority: this.majority, votes: this.votes, lastDoc: this.lastDoc, capacity: this.capacity };
    this.allocate(this.capacity * 2);
    for (let o = 0; o < old.capacity; o++) {
      if (!old.used[o]) continue;
      const s = this.slotOf(old.k1[o]!, old.k2[o]!);
      this.used[s] = 1;
      this.k1[s] = old.k1[o]!;
      this.k2[s] = old.k2[o]!;
      this.df[s] = old.df[o]!;
      this.majority[s] = old.majority[o]!;
      this.votes[s] = old.votes[o]!;
      this.lastDoc[s] = old.lastDoc[o]!;
    }
  }
}

/** Two independent 32-bit hash steps over token ids (n-gram keys are built id by id). */
export function mixA(h: number, id: number): number {
  h = Math.imul(h ^ id, 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) >>> 0;
}

export function mixB(h: number, id: number): number {
  h = Math.imul(h ^ (id + 0x632be5ab), 0xcc9e2d51);
  h ^= h >>> 15;
  return Math.imul(h, 0x1b873593) >>> 0;
}

export const SEED_A = 0x811c9dc5;
export const SEED_B = 0x2545f491;
