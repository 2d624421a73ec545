import { isUtf8 } from 'node:buffer';

const REPLACEMENT = '\uFFFD';
const REPLACEMENT_BYTES = [0xef, 0xbf, 0xbd] as const;

/**
 * The offset of the first byte that is not valid UTF-8 in `bytes` (which must start at a character
 * boundary; a character cut off at the end counts as invalid from its first byte), or -1 when all of
 * it is valid. The non-fatal decoder turns each invalid sequence into U+FFFD, so walking its
 * output finds the first U+FFFD the bytes did not spell. It keeps a leading byte-order mark
 * (`ignoreBOM`), which it would otherwise drop from its output and so from the count of bytes.
 */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1; // the common case, checked natively: the walk below is for finding where
  let offset = 0;
  for (const ch of new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)) {
    if (ch === REPLACEMENT && REPLACEMENT_BYTES.some((b, i) => bytes[offset + i] !== b)) return offset;
    offset += Buffer.byteLength(ch, 'utf8');
  }
  return -1;
}

/**
 * How many line ends `bytes` holds from `start` up to (not including) `end`: LF, CRLF and a lone CR
 * (classic Mac) each one. `before` is the byte before `start`, when a stream was cut there: a CR
 * there and an LF at `start` are one CRLF, counted with the CR.
 */
export function lineBreaks(bytes: Uint8Array, start = 0, end = bytes.length, before?: number): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a, start); i !== -1 && i < end; i = bytes.indexOf(0x0a, i + 1)) {
    if ((i > start ? bytes[i - 1] : before) !== 0x0d) count++;
  }
  for (let i = bytes.indexOf(0x0d, start); i !== -1 && i < end; i = bytes.indexOf(0x0d, i + 1)) count++;
  return count;
}

/** The bytes at the end of `bytes` that may open a character not finished yet: its last character's, from its first byte. */
export function lastCharacterStart(bytes: Uint8Array): number {
  let i = bytes.length;
  // Back over at most three continuation bytes (10xxxxxx) to the byte that opens the character.
  while (i > 0 && bytes.length - i < 3 && ((bytes[i - 1] ?? 0) & 0xc0) === 0x80) i--;
  return i > 0 ? i - 1 : 0;
}

/**
 * A header value as Node gives it (each byte one character, latin1), read as the UTF-8 it was most
 * likely sent in: `cafÃ©` → `café`. Bytes that are not valid UTF-8 were sent as ISO-8859-1, as
 * HTTP's obs-text allows and Python's and Node's own clients send a string: that reading stands
 * (`caf\u00e9` stays `café`). Plain ASCII, or a value already holding characters no byte spells, stays as it is.
 */
export function headerAsUtf8(value: string): string {
  if (!/[\x80-\xff]/.test(value) || /[\u0100-\uffff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : value;
}

/** Windows-1252's characters for the bytes 0x80–0x9F (null: the five it leaves undefined); 0xA0–0xFF are Latin-1's. */
const CP1252_80_9F = [
  0x20ac,
  null,
  0x201a,
  0x0192,
  0x201e,
  0x2026,
  0x2020,
  0x2021,
  0x02c6,
  0x2030,
  0x0160,
  0x2039,
  0x0152,
  null,
  0x017d,
  null,
  null,
  0x2018,
  0x2019,
  0x201c,
  0x201d,
  0x2022,
  0x2013,
  0x2014,
  0x02dc,
  0x2122,
  0x0161,
  0x203a,
  0x0153,
  null,
  0x017e,
  0x0178,
];
/** The byte each character stands for when bytes were read as Windows-1252. */
const BYTE_IN_1252 = new Map<string, number>([
  ...CP1252_80_9F.flatMap((c, i) => (c === null ? [] : [[String.fromCodePoint(c), 0x80 + i] as const])),
  ...Array.from({ length: 0x60 }, (_, i) => [String.fromCharCode(0xa0 + i), 0xa0 + i] as const),
]);

/** What a UTF-8 continuation byte (0x80–0xBF) becomes when the bytes are read as Windows-1252. */
const CONTINUATION_AS_1252 = `[${[...BYTE_IN_1252].flatMap(([c, byte]) => (byte <= 0xbf ? [c] : [])).join('')}]`;
/** A character that opens a UTF-8 sequence (as Windows-1252 shows its byte), followed by as many that continue one. */
const MISREAD_CANDIDATE = new RegExp(
  `[\u00C2-\u00DF]${CONTINUATION_AS_1252}|[\u00E0-\u00EF]${CONTINUATION_AS_1252}{2}|[\u00F0-\u00F4]${CONTINUATION_AS_1252}{3}`,
  'g',
);
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The characters a misread sequence stands for when it is one a registry's text plausibly holds:
 * letters of the scripts of Europe and of the names an establishment in the Netherlands may carry,
 * the typographic punctuation spreadsheets and word processors put in, the euro sign.
 */
const PLAUSIBLE: readonly (readonly [number, number])[] = [
  [0x00a0, 0x017f], // Latin-1 Supplement, Latin Extended-A (é, ë, ç, ł, ş, ő, …)
  [0x0218, 0x021b], // Romanian ș ț
  [0x0386, 0x03ce], // Greek
  [0x0400, 0x045f], // Cyrillic
  [0x05d0, 0x05ea], // Hebrew letters
  [0x0620, 0x064a], // Arabic letters
  [0x0e01, 0x0e5b], // Thai
  [0x2010, 0x2044], // dashes, quotation marks, bullet, ellipsis, per mille
  [0x20ac, 0x20ac], // €
  [0x2122, 0x2122], // ™
  [0x4e00, 0x9fff], // CJK ideographs
  [0x10000, 0x10ffff], // beyond the BMP (emoji)
];

/** The character `candidate` spells when its characters are taken for the Windows-1252 bytes they stand for, if UTF-8. */
function misreadAs(candidate: string): number | null {
  const bytes = Uint8Array.from([...candidate], (c) => BYTE_IN_1252.get(c) ?? 0);
  try {
    return STRICT_UTF8.decode(bytes).codePointAt(0) ?? null;
  } catch {
    return null; // not UTF-8 (an overlong or surrogate form): no misreading spells it
  }
}

/**
 * Whether a text holds UTF-8 that was read as Windows-1252 and saved again ("mojibake"): `Café` as
 * `CafÃ©`, `–` as `â€“`. What a spreadsheet does to a UTF-8 file without a byte-order mark; valid
 * UTF-8 by then, so only the pattern gives it away: a character that opens a multi-byte sequence
 * followed by as many that continue one, which together spell a character real text holds (see
 * PLAUSIBLE). Real text has such pairs too (`CAFÉ’S`, `«CAFÉ»`, `Ü»`, `à\u00A0«`), but they spell
 * characters nobody writes there (IPA letters, Syriac, Samaritan), so they are not taken for one.
 */
export function looksLikeMisreadUtf8(text: string): boolean {
  for (const [candidate] of text.matchAll(MISREAD_CANDIDATE)) {
    const code = misreadAs(candidate);
    if (code !== null && PLAUSIBLE.some(([from, to]) => code >= from && code <= to)) return true;
  }
  return false;
}
