// Personal data in cells: e-mail addresses, phone numbers, payment cards (Luhn and issuer
// prefixes), IBANs (country length and mod-97), US SSNs (area, group and serial rules) and
// IP addresses. Candidates that fail their checksum or rules, and numbers introduced as
// order / invoice / reference numbers, are decoys and are not reported. Values leave this
// module masked only.

import { isIP } from "node:net";

export const PII_TYPES = ["email", "phone", "payment-card", "iban", "us-ssn", "ip-address"] as const;
export type PiiType = (typeof PII_TYPES)[number];

export interface PiiHit {
  type: PiiType;
  /** The value with most characters replaced by '*'. */
  masked: string;
  /** How the value was validated. */
  validation: string;
}

// ---- validators ----

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The card network whose issuer prefix and length the number matches. */
export function cardIssuer(digits: string): string | undefined {
  const len = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === "4" && (len === 13 || len === 16 || len === 19)) return "visa";
  if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && len === 16) return "mastercard";
  if ((p2 === 34 || p2 === 37) && len === 15) return "amex";
  if ((p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) && len >= 16 && len <= 19) return "discover";
  if (p4 >= 3528 && p4 <= 3589 && len >= 16 && len <= 19) return "jcb";
  if (((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) && len >= 14 && len <= 19) return "diners";
  if (p2 === 62 && len >= 16 && len <= 19) return "unionpay";
  if ((p4 === 5018 || p4 === 5020 || p4 === 5038 || p4 === 5893 || p4 === 6304 || p4 === 6759 || p4 === 6761 || p4 === 6762 || p4 === 6763) && len >= 12 && len <= 19) return "maestro";
  return undefined;
}

/** IBAN lengths by country (ISO 13616 registry). */
export const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22,
  VG: 24, XK: 20,
};

export function ibanValid(iban: string): boolean {
  const s = iban.toUpperCase();
  const len = IBAN_LENGTHS[s.slice(0, 2)];
  if (len === undefined || s.length !== len || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s)) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? code - 55 : code - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

/** SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== "00" && serial !== "0000";
}

// ---- masking ----

const star = (n: number): string => "*".repeat(Math.max(0, n));

export function maskEmail(v: string): string {
  const at = v.lastIndexOf("@");
  const tld = v.slice(v.lastIndexOf("."));
  return `${v[0]}${star(Math.min(6, at - 1))}@${star(3)}${tld}`;
}
/** Keeps separators and the last `keep` digits. */
export function maskDigits(v: string, keep: number): string {
  let seen = 0;
  const total = (v.match(/\d/g) ?? []).length;
  let out = "";
  for (const ch of v) {
    if (/\d/.test(ch)) {
      seen++;
      out += seen > total - keep ? ch : "*";
    } else out += ch;
  }
  return out;
}
export function maskIban(v: string): string {
  let kept = 0;
  const compact = v.replace(/\s+/g, "");
  const tailFrom = compact.length - 2;
  let out = "";
  for (const ch of v) {
    if (/\s/.test(ch)) out += ch;
    else {
      out += kept < 2 || kept >= tailFrom ? ch : "*";
      kept++;
    }
  }
  return out;
}
export function maskIp(v: string): string {
  if (v.includes(":")) return `${v.split(":")[0]}:****`;
  const [a] = v.split(".");
  return `${a}.*.*.*`;
}

// ---- detection ----

const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;
const CARD = /(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d])/g;
const SSN = /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])/g;
const IBAN_START = /\b[A-Z]{2}\d{2}(?=[ ]?[A-Z0-9])/g;
const PHONE_NANP = /(?<![\d+])(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\d-])/g;
const PHONE_INTL = /(?<![\d+])\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\d])/g;
const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g;
const IPV6 = /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])/g;

/** `s` with each [from, length] span replaced by spaces, in one pass (spans in increasing order, not overlapping). */
function blankSpans(s: string, spans: ReadonlyArray<[number, number]>): string {
  const parts: string[] = [];
  let at = 0;
  for (const [from, len] of spans) {
    if (from < at) continue;
    parts.push(s.slice(at, from), " ".repeat(len));
    at = from + len;
  }
  parts.push(s.slice(at));
  return parts.join("");
}

export class PiiDetector {
  private readonly negative: RegExp;

  constructor(negativeContext: string[]) {
    const words = negativeContext.map((w) => w.replace(/[^A-Za-z0-9]/g, "")).filter((w) => w);
    this.negative = new RegExp(`\\b(?:${words.join("|") || "(?!)"})\\b[\\s#:.no-]{0,6}$`, "i");
  }

  /** Is the text just before a match an order/invoice/reference label? */
  private introducedAsIdentifier(text: string, at: number): boolean {
    return this.negative.test(text.slice(Math.max(0, at - 24), at));
  }

  /** Personal data in one cell. Cheap pre-checks skip plain numbers and short strings first. */
  detect(value: string, found?: Array<{ at: number; length: number; masked: string }>): PiiHit[] {
    const n = value.length;
    if (n < 6) return [];
    let digits = 0;
    let at = false;
    let other = 0;
    let dots = 0;
    let colons = 0;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 48 && c <= 57) digits++;
      else if (c === 64) at = true;
      else if (c === 46) dots++;
      else if (c === 58) colons++;
      else if (!(c === 45 && i === 0) && c !== 101 && c !== 69) other++;
    }
    // Plain numbers: only a long integer can be personal data (a card number).
    if (!at && other === 0 && colons === 0) {
      if (dots === 0 && digits >= 13 && digits <= 19) {
        const card = this.cards(value);
        if (card.length > 0) found?.push({ at: 0, length: value.length, masked: card[0]!.masked });
        return card;
      }
      if (dots !== 3) return [];
    }
    if (!at && digits < 4 && colons < 2) return [];
    const hits: PiiHit[] = [];
    const hit = (h: PiiHit, at: number, length: number): void => {
      hits.push(h);
      found?.push({ at, length, masked: h.masked });
    };
    let rest = value;
    // Matched spans are blanked once per pattern, not once per match: rebuilding the cell for
    // every match made a cell full of addresses quadratic (1 MiB: 11 s, 10 MiB: minutes).
    let spans: Array<[number, number]> = [];
    const blank = (_s: string, from: number, len: number): string => {
      spans.push([from, len]);
      return rest;
    };
    const flush = (): void => {
      if (spans.length === 0) return;
      rest = blankSpans(rest, spans);
      spans = [];
    };
    if (at) {
      for (const m of rest.matchAll(EMAIL)) {
        hit({ type: "email", masked: maskEmail(m[0]), validation: "address syntax with a top-level domain" }, m.index, m[0].length);
        rest = blank(rest, m.index, m[0].length);
      }
      flush();
    }
    if (digits >= 4) {
      // IBAN first: its digits would otherwise read as card or phone numbers.
      for (const m of [...rest.matchAll(IBAN_START)]) {
        const compactStart = m.index;
        let compact = "";
        let end = compactStart;
        for (let i = compactStart; i < rest.length && compact.length < 34; i++) {
          const ch = rest[i]!;
          if (/[A-Z0-9]/.test(ch)) {
            compact += ch;
            end = i + 1;
          } else if (ch === " " && /[A-Z0-9]/.test(rest[i + 1] ?? "")) continue;
          else break;
        }
        const len = IBAN_LENGTHS[compact.slice(0, 2)];
        if (len === undefined || compact.length < len) continue;
        // Cut the original span at the len-th alphanumeric character.
        let count = 0;
        let cut = compactStart;
        for (let i = compactStart; i < end && count < len; i++) {
          if (/[A-Z0-9]/.test(rest[i]!)) count++;
          cut = i + 1;
        }
        const span = rest.slice(compactStart, cut);
        // IBAN-shaped but failing mod-97 is a decoy; either way its digits are not a card or phone.
        if (ibanValid(compact.slice(0, len))) hit({ type: "iban", masked: maskIban(span), validation: "country length and mod-97 check digits" }, compactStart, span.length);
        rest = blank(rest, compactStart, span.length);
      }
      flush();
      for (const m of [...rest.matchAll(CARD)]) {
        const d = m[0].replace(/[ -]/g, "");
        if (d.length < 12 || d.length > 19 || !luhnValid(d) || !cardIssuer(d) || this.introducedAsIdentifier(rest, m.index)) continue;
        hit({ type: "payment-card", masked: maskDigits(m[0], 4), validation: `Luhn and ${cardIssuer(d)} issuer prefix` }, m.index, m[0].length);
        rest = blank(rest, m.index, m[0].length);
      }
      flush();
      for (const m of [...rest.matchAll(SSN)]) {
        if (!ssnValid(m[1]!, m[3]!, m[4]!) || this.introducedAsIdentifier(rest, m.index)) continue;
        hit({ type: "us-ssn", masked: maskDigits(m[0], 0), validation: "SSA area, group and serial rules" }, m.index, m[0].length);
        rest = blank(rest, m.index, m[0].length);
      }
      flush();
      for (const re of [PHONE_NANP, PHONE_INTL]) {
        for (const m of [...rest.matchAll(re)]) {
          const d = m[0].replace(/\D/g, "");
          if (d.length < 8 || d.length > 15 || this.introducedAsIdentifier(rest, m.index)) continue;
          hit({ type: "phone", masked: maskDigits(m[0], 2), validation: re === PHONE_NANP ? "North American numbering format" : "international format with country code" }, m.index, m[0].length);
          rest = blank(rest, m.index, m[0].length);
        }
        flush();
      }
      if (dots >= 3) {
        for (const m of [...rest.matchAll(IPV4)]) {
          const before = rest.slice(Math.max(0, m.index - 8), m.index);
          if (/(?:v|version\s*)$/i.test(before) || m[0] === "0.0.0.0" || m[0] === "255.255.255.255") continue;
          hit({ type: "ip-address", masked: maskIp(m[0]), validation: "IPv4 with octets 0-255" }, m.index, m[0].length);
          rest = blank(rest, m.index, m[0].length);
        }
        flush();
      }
    }
    if (colons >= 2) {
      for (const m of [...rest.matchAll(IPV6)]) {
        if (isIP(m[0]) !== 6 || !/[0-9a-f]{1,4}:[0-9a-f]{1,4}/i.test(m[0])) continue;
        hit({ type: "ip-address", masked: maskIp(m[0]), validation: "IPv6 address syntax" }, m.index, m[0].length);
      }
    }
    return hits;
  }

  private cards(value: string): PiiHit[] {
    const d = value.startsWith("-") ? "" : value;
    if (!d || !luhnValid(d) || !cardIssuer(d)) return [];
    return [{ type: "payment-card", masked: maskDigits(d, 4), validation: `Luhn and ${cardIssuer(d)} issuer prefix` }];
  }
}

/**
 * `text` with every piece of personal data the detector finds replaced by its masked form.
 * For names that reach messages and outputs (column names, label values, phrases): a column
 * called after an e-mail address must not print that address.
 */
export function maskPersonalData(text: string, detector: PiiDetector): string {
  const spans: Array<{ at: number; length: number; masked: string }> = [];
  detector.detect(text, spans);
  if (spans.length === 0) return text;
  spans.sort((a, b) => a.at - b.at);
  let out = "";
  let at = 0;
  for (const s of spans) {
    if (s.at < at) continue;
    out += text.slice(at, s.at) + s.masked;
    at = s.at + s.length;
  }
  return out + text.slice(at);
}
