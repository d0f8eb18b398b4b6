import { cardIssuer, ibanValid, luhnValid, maskEmail, PiiDetector, ssnValid } from "../../../src/scanners/datasets/analysis/pii";
import { datasetThresholds } from "../../../src/scanners/datasets/thresholds";

const detector = new PiiDetector(datasetThresholds().personalData.negativeContext);
const types = (s: string): string[] => detector.detect(s).map((h) => h.type);

describe("validators", () => {
  it("Luhn and issuer prefixes", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(cardIssuer("4111111111111111")).toBe("visa");
    expect(cardIssuer("378282246310005")).toBe("amex");
    expect(cardIssuer("5555555555554444")).toBe("mastercard");
    expect(cardIssuer("6011111111111117")).toBe("discover");
    // Luhn-valid but no issuer uses the prefix.
    expect(luhnValid("9111111111111110")).toBe(true);
    expect(cardIssuer("9111111111111110")).toBeUndefined();
  });
  it("IBAN country length and mod-97", () => {
    expect(ibanValid("GB82WEST12345698765432")).toBe(true);
    expect(ibanValid("DE89370400440532013000")).toBe(true);
    expect(ibanValid("DE89370400440532013001")).toBe(false);
    expect(ibanValid("DE8937040044053201300")).toBe(false);
  });
  it("SSN area, group and serial rules", () => {
    expect(ssnValid("123", "45", "6789")).toBe(true);
    expect(ssnValid("000", "45", "6789")).toBe(false);
    expect(ssnValid("666", "45", "6789")).toBe(false);
    expect(ssnValid("912", "45", "6789")).toBe(false);
    expect(ssnValid("123", "00", "6789")).toBe(false);
    expect(ssnValid("123", "45", "0000")).toBe(false);
  });
});

describe("detection in cells", () => {
  it.each([
    ["ana@example.com", ["email"]],
    ["call +1 (415) 555-0134 today", ["phone"]],
    ["+44 20 7946 0958", ["phone"]],
    ["4111 1111 1111 1111", ["payment-card"]],
    ["4111111111111111", ["payment-card"]],
    ["IBAN DE89 3704 0044 0532 0130 00 please", ["iban"]],
    ["SSN 123-45-6789", ["us-ssn"]],
    ["from 203.0.113.9 at noon", ["ip-address"]],
    ["host 2001:db8::8a2e:370:7334", ["ip-address"]],
  ])("finds %s", (cell, want) => {
    expect(types(cell)).toEqual(want);
  });
  it.each([
    "-0.53419482",
    "1234567",
    "2023-04-05",
    "ORD-2023-004512",
    "Order 5551234567",
    "reference 4111111111111111",
    "4111111111111112",
    "DE89 3704 0044 0532 0130 01",
    "666-12-3456",
    "912-12-3456",
    "999.10.1.1",
    "v1.2.3.4",
    "user@localhost",
    "name at example dot com",
    "12:30:45",
  ])("does not flag the decoy %s", (cell) => {
    expect(types(cell)).toEqual([]);
  });
});

describe("masking", () => {
  it("never returns the raw value", () => {
    for (const v of ["ana.smith@example.com", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32", "123-45-6789", "+1 (415) 555-0134", "203.0.113.9"]) {
      const [hit] = detector.detect(v);
      expect(hit).toBeDefined();
      expect(hit!.masked).not.toBe(v);
      expect(hit!.masked).toContain("*");
    }
    expect(maskEmail("ana.smith@example.com")).toBe("a******@***.com");
    expect(detector.detect("123-45-6789")[0]!.masked).toBe("***-**-****");
  });
});
