/**
 * The registry records establishments and decisions, never people (docs/api.md). Free text it keeps
 * (a legal basis, a statement, an audit reason, a description) is refused when it holds what points
 * to a person beyond reasonable doubt: an e-mail address, a Dutch phone number or a BSN (nine digits
 * that pass the elfproef). Names cannot be told from other words, so the fields' descriptions ask for
 * none; identifiers (external references, case numbers) are not judged, as their formats cannot be
 * told from a BSN.
 */
export type PersonalDataKind = 'an e-mail address' | 'a phone number' | 'a BSN';

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/u;

/** A run of digit groups joined by one space, dot or hyphen, maybe after a country code (+31, 0031, with "(0)"). */
const NUMBER_RUN = /(?<![\p{L}\p{N}])((?:\+|00)31 ?(?:\(0\) ?)?)?(\d+(?:[ .-]\d+)*)(?![\p{L}\p{N}])/gu;

/** What in `text` looks like personal data, the first kind found, or null. */
export function personalDataIn(text: string): PersonalDataKind | null {
  if (EMAIL.test(text)) return 'an e-mail address';
  for (const [, countryCode, run] of text.matchAll(NUMBER_RUN)) {
    const groups = (run as string).split(/[ .-]/);
    if (countryCode) {
      // +31 6 12345678: nine digits after the country code, the first not 0.
      if (spans(groups, 0, 4).some((d) => d.length === 9 && d[0] !== '0')) return 'a phone number';
      continue;
    }
    for (let start = 0; start < groups.length; start++) {
      const candidates = spans(groups, start, 3);
      // 06-12345678, 020 123 4567: ten digits, 0 then an area or mobile code.
      if (candidates.some((d) => d.length === 10 && /^0[1-9]/.test(d))) return 'a phone number';
      if (candidates.some((d) => d.length === 9 && passesElfproef(d))) return 'a BSN';
    }
  }
  return null;
}

/** The digits of groups[start], groups[start..start+1], … up to `most` groups. */
function spans(groups: string[], start: number, most: number): string[] {
  const out: string[] = [];
  let digits = '';
  for (let i = start; i < Math.min(groups.length, start + most); i++) {
    digits += groups[i];
    out.push(digits);
  }
  return out;
}

/** The BSN's check (elfproef): 9·d1 + 8·d2 + … + 2·d8 − d9 is a multiple of 11, and not all zeros. */
function passesElfproef(nineDigits: string): boolean {
  if (!/^\d{9}$/.test(nineDigits) || /^0+$/.test(nineDigits)) return false;
  let sum = -Number(nineDigits[8]);
  for (let i = 0; i < 8; i++) sum += (9 - i) * Number(nineDigits[i]);
  return sum % 11 === 0;
}
