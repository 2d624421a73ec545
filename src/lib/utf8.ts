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

/** How many line feeds `bytes` holds from `start` up to (not including) `end`. */
export function lineFeeds(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a, start); i !== -1 && i < end; i = bytes.indexOf(0x0a, i + 1)) count++;
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

/** What a UTF-8 continuation byte (0x80–0xBF) becomes when the bytes are read as Windows-1252. */
const CONTINUATION_AS_1252 =
  '[\u00A0-\u00BF\u20AC\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u017D\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u017E\u0178]';
const MISREAD_UTF8 = new RegExp(
  `[\u00C2-\u00D4]${CONTINUATION_AS_1252}|[\u00E0-\u00EF]${CONTINUATION_AS_1252}{2}|[\u00F0-\u00F4]${CONTINUATION_AS_1252}{3}`,
);

/**
 * Whether a text holds UTF-8 that was read as Windows-1252 and saved again ("mojibake"): `Café` as
 * `CafÃ©`, `–` as `â€“`. What a spreadsheet does to a UTF-8 file without a byte-order mark; valid
 * UTF-8 by then, so only the pattern gives it away: a character that opens a multi-byte sequence
 * followed by as many that continue one. Two-byte sequences only of Latin, Greek and Cyrillic letters
 * (lead bytes C2–D4: Â…Ô), so that a real `Ü»` is not taken for one. Real text has such pairs almost never.
 */
export const looksLikeMisreadUtf8 = (text: string): boolean => MISREAD_UTF8.test(text);
