import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';

/**
 * Runs SQL as the test's connection user, a superuser (postgres) on both databases: the way an
 * attacker with database access would tamper, bypassing the service.
 */
export async function asSuperuser<T = Record<string, unknown>>(database: Database, query: string): Promise<T[]> {
  const result = await database.db.execute(sql.raw(query)).catch((err: Error & { cause?: unknown }) => {
    throw err.cause instanceof Error ? err.cause : err; // the database's own message, not drizzle's wrapper
  });
  return ((result as unknown as { rows: T[] }).rows ?? []) as T[];
}

/** A pino destination that keeps every line, for asserting on the service log. */
export function captureLog() {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((l) => l !== ''));
      done();
    },
  });
  return { stream, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
