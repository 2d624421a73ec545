import { Forbidden, RuleViolation } from '../../domain/errors.js';
import { unknownMunicipality } from '../../domain/municipalities.js';
import { enforcementActionRow, establishmentRow, type FlatRow, licenceRow, type RecordType } from '../../domain/transfer.js';
import type { Database, Tx } from '../../infrastructure/db/client.js';
import { withTenant } from '../../infrastructure/db/tenant.js';
import { findMunicipality } from '../../infrastructure/repositories/municipalities.js';
import { enforcementActionsAfter, establishmentsAfter, licencesAfter } from '../../infrastructure/repositories/transfer.js';
import { type Spool, spool } from '../../infrastructure/spool.js';
import type { RequestContext } from '../context.js';
import { createReader } from '../queries/read.js';
import { toEnforcementAction, toEstablishment, toLicence } from '../records.js';

/** Rows per database round trip of an export. */
export const EXPORT_BATCH = 1000;

/**
 * Exports (docs/import-export.md): a municipality's live records as flat rows, the columns of the
 * import. The whole export reads one snapshot (a REPEATABLE READ transaction bound to the caller's
 * scope, so row-level security holds), a batch at a time, into a spool (in memory, the rest in a
 * file of its own), and the transaction ends before the first record is sent: a slow client holds no
 * database connection (the embedded database's only one), and a database error is a problem answer,
 * not a file cut short. Memory stays flat whatever the size.
 */
export function createExporter(database: Database, batchSize = EXPORT_BATCH) {
  const read = createReader(database);
  /**
   * Which municipality an export is of: an officer's own; an admin names a registered one (an
   * unknown code is a 400, not an empty file). Analysts see no records.
   */
  async function municipalityOf(ctx: RequestContext, asked: string | undefined, param = 'municipalityCode'): Promise<string> {
    if (ctx.actor.role === 'officer') {
      if (asked && asked !== ctx.municipalityCode) throw new Forbidden(`You may export only the records of ${ctx.municipalityCode}.`);
      return ctx.municipalityCode as string;
    }
    if (ctx.actor.role !== 'admin') throw new Forbidden('Exports hold establishment-level records: officers and admins only.');
    if (!asked) {
      throw new RuleViolation([{ name: param, code: 'required', reason: 'an admin names the municipality to export' }]);
    }
    if (!(await read.one(ctx, (tx) => findMunicipality(tx, asked)))) {
      throw new RuleViolation([unknownMunicipality(asked, param)]);
    }
    return asked;
  }

  /** The live records of one type and municipality, a batch at a time after the last id (keyset), tombstones left out. */
  async function* batches(tx: Tx, type: RecordType, municipalityCode: string, signal?: AbortSignal): AsyncGenerator<FlatRow[]> {
    let after: string | null = null;
    for (;;) {
      signal?.throwIfAborted(); // nobody waits for the rest: the transaction ends now
      // Each batch holds tombstones too (see transfer.ts): they are left out here.
      let rows: FlatRow[];
      let read: number;
      if (type === 'establishments') {
        const batch = await establishmentsAfter(tx, municipalityCode, after, batchSize);
        [read, after] = [batch.length, batch.at(-1)?.id ?? null];
        rows = batch.filter((r) => r.deletedAt === null).map((r) => establishmentRow(toEstablishment(r)));
      } else if (type === 'licences') {
        const batch = await licencesAfter(tx, municipalityCode, after, batchSize);
        [read, after] = [batch.length, batch.at(-1)?.row.id ?? null];
        rows = batch.map((r) => licenceRow(toLicence(r.row), r.establishmentReference));
      } else {
        const batch = await enforcementActionsAfter(tx, municipalityCode, after, batchSize);
        [read, after] = [batch.length, batch.at(-1)?.row.id ?? null];
        rows = batch
          .filter((r) => r.row.deletedAt === null)
          .map((r) => enforcementActionRow(toEnforcementAction(r.row), r.establishmentReference));
      }
      if (rows.length > 0) yield rows;
      if (read < batchSize) return;
    }
  }

  /** The export read whole, in batches, until `signal` says nobody waits; `remove()` it once sent, whatever happened. */
  const readWhole = (ctx: RequestContext, type: RecordType, municipalityCode: string, signal?: AbortSignal): Promise<Spool<FlatRow[]>> =>
    withTenant(database.db, ctx.scope, (tx) => spool(batches(tx, type, municipalityCode, signal)), { snapshot: true });

  /** The export handed to `sink` a batch at a time, once read whole. */
  async function run(ctx: RequestContext, type: RecordType, municipalityCode: string, sink: (rows: FlatRow[]) => Promise<void>) {
    const spooled = await readWhole(ctx, type, municipalityCode);
    try {
      for await (const rows of spooled.items()) await sink(rows);
    } finally {
      await spooled.remove();
    }
  }

  return { municipalityOf, readWhole, run };
}
