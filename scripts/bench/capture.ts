import pg from 'pg';
import type { Scope } from '../../src/infrastructure/db/client.js';

/** One statement as the service sent it to PostgreSQL, with what came back. */
export interface CapturedQuery {
  text: string;
  values: unknown[];
  fields: string[];
  rows: unknown[][];
  /** Sent in one round trip with the next statement (a read's scope settings): pgbench sends the two as one pipeline. */
  pipelinedWithNext?: boolean;
}

let sink: CapturedQuery[] | null = null;
let patched = false;

/**
 * Wraps pg's Client.prototype.query (every pool query and every transaction statement passes
 * through it) so that the statements of one request can be recorded exactly as they were sent.
 */
function patch() {
  if (patched) return;
  patched = true;
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: unknown }).query = function (this: pg.Client, ...args: unknown[]) {
    const cfg = args[0];
    const text = typeof cfg === 'string' ? cfg : (cfg as { text?: string })?.text;
    const values = (Array.isArray(args[1]) ? args[1] : ((cfg as { values?: unknown[] })?.values ?? [])) as unknown[];
    if (!sink || typeof text !== 'string') return original.apply(this, args);
    // A read's statement travels with its scope's settings (ScopedQuery in src/infrastructure/db/client.ts).
    const scope = (cfg as { scope?: Scope }).scope;
    if (scope) sink.push({ text: scope.statement.text, values: [...scope.values], fields: [], rows: [], pipelinedWithNext: true });
    const entry: CapturedQuery = { text, values: [...values], fields: [], rows: [] };
    sink.push(entry);
    const record = (r: pg.QueryResult | undefined) => {
      entry.fields = (r?.fields ?? []).map((f) => f.name);
      entry.rows = (r?.rows ?? []).map((row) => (Array.isArray(row) ? row : Object.values(row as object)));
    };
    const submittable = cfg as { submit?: unknown; callback?: (err: unknown, r?: pg.QueryResult) => void };
    if (typeof submittable.submit === 'function' && submittable.callback) {
      const cb = submittable.callback;
      submittable.callback = (err, r) => {
        if (!err) record(r);
        cb(err, r);
      };
      return original.apply(this, args);
    }
    // pool.query() calls client.query(text, values, callback); drizzle's transactions use promises
    const cbIndex = args.findIndex((a) => typeof a === 'function');
    if (cbIndex >= 0) {
      const cb = args[cbIndex] as (err: unknown, r?: pg.QueryResult) => void;
      args[cbIndex] = (err: unknown, r?: pg.QueryResult) => {
        if (!err) record(r);
        cb(err, r);
      };
      return original.apply(this, args);
    }
    const out = original.apply(this, args);
    if (out && typeof (out as Promise<unknown>).then === 'function') {
      (out as Promise<pg.QueryResult>).then(record, () => {});
    }
    return out;
  };
}

/** Records every statement `fn` causes on any pg client in this process. */
export async function captureQueries(fn: () => Promise<unknown>): Promise<CapturedQuery[]> {
  patch();
  const got: CapturedQuery[] = [];
  sink = got;
  try {
    await fn();
  } finally {
    sink = null;
  }
  return got;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const literal = (v: unknown): string => {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return literal(`{${v.map((x) => (x === null ? 'NULL' : `"${String(x).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`);
  const text = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // pgbench reads any `:name` in a script as a variable, even inside quotes: spell colons \x3a
  if (!text.includes(':')) return `'${text.replaceAll("'", "''")}'`;
  return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''").replaceAll(':', '\\x3a')}'`;
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Turns the statements of one request (captured twice, from two identical requests) into a pgbench
 * script that runs the same SQL: parameters that were equal in both runs become literals; values
 * that differ per request become what makes them differ: a value returned by an earlier statement
 * becomes a pgbench variable (\gset), that value + 1 (the audit sequence) an expression on it, a
 * fresh uuid made by the service gen_random_uuid(), and another fresh integer or text (an
 * Idempotency-Key, its advisory-lock keys) a pgbench random variable set once per transaction. Each statement keeps its place, BEGIN and COMMIT
 * included, so the transaction's locks and round trips are the service's.
 */
export function toPgbenchScript(a: CapturedQuery[], b: CapturedQuery[]): string {
  if (a.length !== b.length || a.some((q, i) => q.text !== b[i]?.text)) {
    const i = a.findIndex((q, k) => q.text !== b[k]?.text);
    throw new Error(
      `the two captured runs executed different statements (${a.length} and ${b.length}; first difference at ${i}: ${a[i]?.text.slice(0, 200)} | ${b[i]?.text.slice(0, 200)}); cannot derive a pgbench script`,
    );
  }
  const needGset = new Set<number>();
  const lines: string[] = [];
  /** Values fresh per request that no earlier statement returned (an Idempotency-Key, its lock keys): a pgbench random variable each. */
  const fresh = new Map<string, string>();
  const freshVariable = (v: string | number) => {
    const key = JSON.stringify(v);
    let name = fresh.get(key);
    if (!name) {
      name = `fresh${fresh.size}`;
      fresh.set(key, name);
    }
    return typeof v === 'number' ? `:${name}` : `(:${name})::text`;
  };
  const rendered = b.map((q, qi) =>
    q.text.replace(/\$(\d+)/g, (_m, n: string) => {
      const k = Number(n) - 1;
      const v = q.values[k];
      if (same(v, a[qi]?.values[k])) return literal(v);
      // varies per request: find it in an earlier single-row result of this run
      for (let pi = qi - 1; pi >= 0; pi--) {
        const prev = b[pi] as CapturedQuery;
        if (prev.rows.length !== 1) continue;
        const row = prev.rows[0] as unknown[];
        for (let ci = 0; ci < row.length; ci++) {
          const cell = row[ci];
          const name = `q${pi}_${prev.fields[ci]}`;
          if (cell !== null && String(cell) === String(v)) {
            needGset.add(pi);
            return `:${name}`;
          }
          if (prev.fields[ci] === 'seq' && typeof v === 'number' && Number(cell) + 1 === v) {
            needGset.add(pi);
            return `(:${name} + 1)`;
          }
        }
      }
      if (typeof v === 'string' && UUID.test(v)) return 'gen_random_uuid()';
      if (Number.isInteger(v) || (typeof v === 'string' && !/^[[{]/.test(v) && !TIMESTAMP.test(v))) {
        return freshVariable(v as string | number);
      }
      return literal(v);
    }),
  );
  rendered.forEach((sql, i) => {
    const oneLine = sql.replace(/\s+/g, ' ').trim();
    const line = needGset.has(i) ? `${oneLine} \\gset q${i}_` : `${oneLine};`;
    // pgbench sends a pipeline's statements in one round trip, closed by one Sync: one implicit transaction, as the service does
    if (b[i]?.pipelinedWithNext) lines.push('\\startpipeline', line);
    else if (b[i - 1]?.pipelinedWithNext) lines.push(line, '\\endpipeline');
    else lines.push(line);
  });
  const sets = [...fresh].map(([v, name]) =>
    Number.isInteger(JSON.parse(v)) ? `\\set ${name} random(-2147483648, 2147483647)` : `\\set ${name} random(1, 9000000000000000000)`,
  );
  return `${[...sets, ...lines].join('\n')}\n`;
}
