/** A text cell starting with one of these is read as a formula by spreadsheets (OWASP: CSV injection). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/** The error values a spreadsheet shows (and saves) for a formula that failed: Excel's in English and Dutch, LibreOffice's Err:NNN. */
export const SPREADSHEET_ERROR =
  /^(#(NULL!|DIV\/0!|VALUE!|REF!|NAME\?|NUM!|N\/A|SPILL!|CALC!|FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!|LEEG!|DEEL\/0!|WAARDE!|VERW!|NAAM\?|GETAL!|N\/B|OVERLOOP!|BEREKENEN!)|Err:\d{3})$/i;

/** Text a spreadsheet would not show as it is: a formula, or (read as one) an error value such as `#N/B`. */
const readAsFormula = (s: string) => FORMULA_START.has(s.charAt(0)) || SPREADSHEET_ERROR.test(s.trim());

/** Quotes, then such text: what a protected cell holds (`'=…`, `'#N/B`), or a text that only looks like one (`'-t …`). */
const quotedFormula = (s: string) => {
  let i = 0;
  while (s.charAt(i) === "'") i++;
  return i > 0 && readAsFormula(s.slice(i));
};

/**
 * A text cell for a CSV file: a leading single quote before a formula character, or before a text
 * that is a spreadsheet's error value, so a spreadsheet shows it as text. A text that already starts
 * with quotes before one gets one more, so that reading it back (unprotectFormula) gives the text it
 * is: `'-t` → `''-t` → `'-t`.
 */
export const protectFormula = (s: string) => (readAsFormula(s) || quotedFormula(s) ? `'${s}` : s);

/** The reverse, for a CSV cell read back: `'=…` is the text `=…`, `'#N/B` the text `#N/B`, `''-t` the text `'-t`. */
export const unprotectFormula = (s: string) => (quotedFormula(s) ? s.slice(1) : s);

/**
 * A cell of a code, number, date or reference column: only an error value needs the quote there
 * (`Err:502` is a valid reference, and a spreadsheet's error value when bare); unprotectErrorValue
 * reads it back.
 */
export const protectErrorValue = (s: string) => (SPREADSHEET_ERROR.test(s) ? `'${s}` : s);

/** The reverse of protectErrorValue: `'Err:502` is the value `Err:502`; any other cell is what it holds. */
export const unprotectErrorValue = (s: string) => (s.startsWith("'") && SPREADSHEET_ERROR.test(s.slice(1)) ? s.slice(1) : s);

/**
 * One RFC 4180 field: quoted when it holds a comma, quote or line break. A text cell that starts
 * with =, +, -, @, a tab or a carriage return gets a leading single quote, so that a spreadsheet
 * shows it as text instead of running it (OWASP "CSV Injection"). Numbers are written as numbers:
 * a negative number is not text and keeps its minus sign.
 */
export function csvField(v: unknown, delimiter: ',' | ';' = ','): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v !== 'number' && typeof v !== 'bigint') s = protectFormula(s);
  return /["\r\n]/.test(s) || s.includes(delimiter) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The CSV dialects of the figures: `csv` is RFC 4180 (comma); `csv-excel` the one Dutch Excel opens
 * directly, as the record export writes it: `;` between fields and a UTF-8 byte-order mark first.
 */
export const CSV_FORMATS = ['csv', 'csv-excel'] as const;
export type CsvFormat = (typeof CSV_FORMATS)[number];

/** CSV with CRLF line ends and a header row: the one CSV writer of the figures, every cell through csvField. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[], format: CsvFormat = 'csv'): string {
  const delimiter = format === 'csv-excel' ? ';' : ',';
  const lines = [header, ...rows].map((r) => r.map((v) => csvField(v, delimiter)).join(delimiter));
  return `${format === 'csv-excel' ? '\uFEFF' : ''}${lines.join('\r\n')}\r\n`;
}

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

/** One media range of an Accept header: type and subtype (either may be `*`), lower-cased, and its weight. */
interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function mediaRanges(accept: string): MediaRange[] {
  return accept.split(',').map((part) => {
    const [range = '', ...params] = part.split(';').map((p) => p.trim());
    const [type = '', subtype = ''] = range.toLowerCase().split('/');
    // The weight parameter is q, case-insensitively (RFC 9110 §12.4.2); one that is not a number counts as 0.
    const weight = params.find((p) => /^q=/i.test(p));
    const q = weight === undefined ? 1 : Number(weight.slice(2));
    return { type, subtype, q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0 };
  });
}

/**
 * The weight the client gives a media type: that of the most specific range that covers it
 * (`text/csv` over `text/*` over `*\/*`, RFC 9110 §12.5.1); 0 when none does.
 */
function weightOf(ranges: readonly MediaRange[], type: string, subtype: string): number {
  const exact = ranges.find((r) => r.type === type && r.subtype === subtype);
  const ofType = ranges.find((r) => r.type === type && r.subtype === '*');
  const any = ranges.find((r) => r.type === '*' && r.subtype === '*');
  return (exact ?? ofType ?? any)?.q ?? 0;
}

/** Does the client take any of these media types (`type/subtype`)? No Accept takes everything (RFC 9110 §12.5.1). */
export function acceptsAny(accept: string | undefined, types: readonly string[]): boolean {
  if (!accept) return true;
  const ranges = mediaRanges(accept);
  return types.some((t) => {
    const [type = '', subtype = ''] = t.toLowerCase().split('/');
    return weightOf(ranges, type, subtype) > 0;
  });
}

/**
 * Does the client prefer CSV? When it weighs CSV above JSON, each by the most specific range that
 * covers it; on a tie only a text/csv named in Accept selects CSV, so that JSON stays the default
 * (`*\/*`, no Accept).
 */
export function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = mediaRanges(accept);
  const csv = weightOf(ranges, 'text', 'csv');
  const json = weightOf(ranges, 'application', 'json');
  const named = ranges.some((r) => r.type === 'text' && r.subtype === 'csv');
  return csv > 0 && (csv > json || (csv === json && named));
}
