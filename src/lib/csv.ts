/** RFC 4180 CSV: CRLF line ends, a header row, fields quoted when they hold a comma, quote or line break. */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

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
