import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { actingPerson, partOf, ts } from './schema-columns.js';

/**
 * Bulk imports as jobs (docs/import-export.md). One row per uploaded file: who sent it, for which
 * municipality (the row-level security column), how far the worker is and what it found. The
 * worker commits `rows_done` and the counts with each batch it applies, so a restarted service
 * resumes where the last commit left off.
 */
export const imports = pgTable(
  'imports',
  {
    id: uuid('id').primaryKey(),
    municipalityCode: text('municipality_code').notNull(),
    clientId: uuid('client_id'),
    clientRole: text('client_role').notNull(),
    requestId: text('request_id'),
    /** Who uploaded the file, when known (the audit entries of the records it writes name them; migration 0021). */
    ...actingPerson(),
    recordType: text('record_type').notNull(),
    format: text('format').notNull(),
    dryRun: boolean('dry_run').notNull(),
    mode: text('mode').notNull(),
    /** queued | running | succeeded | failed | cancelled (migration 0022) */
    state: text('state').notNull(),
    /** While running: validating (nothing is kept) or applying (batches commit). */
    phase: text('phase'),
    rowsTotal: integer('rows_total').notNull(),
    rowsDone: integer('rows_done').notNull().default(0),
    created: integer('created').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    unchanged: integer('unchanged').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    /** The first problems found ({line, column, code, reason}), capped; problems_total counts them all. */
    problems: jsonb('problems').$type<{ line: number; column: string | null; code: string; reason: string }[]>().notNull(),
    problemsTotal: integer('problems_total').notNull().default(0),
    /** The first records updated ({line, externalReference, columns}), capped as the problems are (migration 0024). */
    changes: jsonb('changes').$type<{ line: number; externalReference: string; columns: string[] }[]>().notNull().default([]),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    /** The instance working on the job and until when its claim holds (renewed with every batch). */
    leaseOwner: uuid('lease_owner'),
    leaseUntil: ts('lease_until'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('imports_municipality_created_idx').on(t.municipalityCode, t.createdAt),
    index('imports_pending_idx').on(t.createdAt).where(sql`state in ('queued', 'running')`),
  ],
);

/** The uploaded file, decoded: one row per record, in file order, kept while its job waits or runs (deleted in the commit that ends it). */
export const importRows = pgTable(
  'import_rows',
  {
    importId: partOf('import_id', () => imports.id),
    ord: integer('ord').notNull(),
    /** The line of the file where the record starts (1 = the header line of a CSV file). */
    line: integer('line').notNull(),
    municipalityCode: text('municipality_code').notNull(),
    /** The record as the API's write schema accepted it, or null when it did not. */
    data: jsonb('data'),
    /** What the schema found wrong with the record ({column, code, reason}), or null. */
    problems: jsonb('problems').$type<{ column: string | null; code: string; reason: string }[]>(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.ord] })],
);
