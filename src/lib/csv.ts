/** A text cell starting with one of these is read as a formula by spreadsheets (OWASP: CSV injection). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * One RFC 4180 field: quoted when it holds a comma, quote or line break. A text cell that starts
 * with =, +, -, @, a tab or a carriage return gets a leading single quote, so that a spreadsheet
 * shows it as text instead of running it (OWASP "CSV Injection"). Numbers are written as numbers:
 * a negative number is not text and keeps its minus sign.
 */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v !== 'number' && typeof v !== 'bigint' && FORMULA_START.has(s.charAt(0))) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with CRLF line ends and a header row: the one CSV writer of the service, every cell through csvField. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return `${[header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

/** Does the client prefer CSV? Only an explicit text/csv in Accept selects it; JSON stays the default. */
export function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((part) => {
    const [type, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { type: (type ?? '').trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
  });
  const csv = types.find((t) => t.type === 'text/csv')?.q ?? 0;
  const json = Math.max(
    0,
    ...types.filter((t) => t.type === 'application/json' || t.type === '*/*' || t.type === 'application/*').map((t) => t.q),
  );
  return csv > 0 && csv >= json;
}
