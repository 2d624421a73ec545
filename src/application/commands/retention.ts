import { effectiveEnd, type StatusChange } from '../../domain/licences.js';
import { cutOffDate, type RetentionRule, STAGES_KEPT } from '../../domain/retention.js';
import { keptFieldsHashes } from '../../infrastructure/audit/chain.js';
import type { Tx } from '../../infrastructure/db/client.js';
import {
  actionsPastRetention,
  type Candidate,
  deletedLicencesPastRetention,
  destroyRecords,
  destroyTrails,
  establishmentsPastRetention,
  licencesPastRetention,
} from '../../infrastructure/repositories/retention.js';
import type { RequestContext } from '../context.js';
import type { Change, CommandRunner } from './run.js';

export interface DestructionReport {
  /** Records destroyed per record type. */
  destroyed: Record<string, number>;
  /** Audit entries whose payloads were blanked. */
  auditEntriesBlanked: number;
}

/** Records per transaction: a long backlog is destroyed in several commits, each complete in itself. */
const BATCH = 200;

/** Where a rule finds its records, and how it destroys them. */
interface Source {
  find(tx: Tx, cutOff: string): Promise<Candidate[]>;
  destroy(tx: Tx, ids: string[]): Promise<Map<string, number[]>>;
}

function sourcesOf(rule: RetentionRule): Source[] {
  const rows = (find: Source['find']): Source => ({ find, destroy: (tx, ids) => destroyRecords(tx, rule.recordType, ids) });
  switch (rule.recordType) {
    case 'enforcement_action':
      return [rows((tx, cutOff) => actionsPastRetention(tx, cutOff, STAGES_KEPT, BATCH))];
    case 'licence':
      return [
        rows((tx, cutOff) => licencesPastRetention(tx, cutOff, BATCH)),
        // Deleted outright, a licence left only its trail: that is what goes.
        { find: (tx, cutOff) => deletedLicencesPastRetention(tx, cutOff, BATCH), destroy: (tx, ids) => destroyTrails(tx, 'licence', ids) },
      ];
    case 'establishment':
      return [rows((tx, cutOff) => establishmentsPastRetention(tx, cutOff, BATCH))];
  }
}

/**
 * Destruction under the Archiefwet: records past their retention period go (the row is deleted;
 * a licence deleted outright has none left), and so does the content of their audit entries
 * (before, after and reason are blanked through the database's one controlled path, migration
 * 0013). Each destroyed record gets a `destroy` entry in the chain recording what (type, id,
 * municipality), when, under which rule (selection list, period, what it runs from, the cut-off
 * date) and which entries were blanked, so the chain still verifies. The statistics keep their
 * counts (the rollups are not decremented).
 */
export function createRetentionCommands(runner: CommandRunner) {
  /** One transaction: up to BATCH records of one source destroyed, with their destroy entries. */
  function destroyBatch(ctx: RequestContext, rule: RetentionRule, cutOff: string, source: Source) {
    return runner.run(ctx, async (tx) => {
      const candidates = await source.find(tx, cutOff);
      const blanked = await source.destroy(
        tx,
        candidates.map((c) => c.id),
      );
      const kept = await keptFieldsHashes(tx, [...blanked.values()].flat());
      const destroyedAt = new Date().toISOString();
      const gone = candidates.filter((c) => blanked.has(c.id)); // not those a concurrent run destroyed first
      const changes: Change[] = gone.map((c) => ({
        action: 'destroy',
        objectType: rule.recordType,
        objectId: c.id,
        municipalityCode: c.municipalityCode,
        before: null,
        after: {
          // The establishment a licence or an action was under: its event's dataref is a URL below it.
          ...(c.establishmentId ? { establishmentId: c.establishmentId } : {}),
          destroyedAt,
          // Deleted before (a tombstone, a licence deleted outright): its `deleted` event went out then, so this announces nothing.
          ...(c.deletedAt ? { deletedAt: c.deletedAt.toISOString() } : {}),
          rule: { selectionList: rule.selectionList, retentionYears: rule.years, runsFrom: rule.runsFrom, cutOffDate: cutOff },
          periodRanFrom: c.basis,
          // A live licence: the last day it could be in force (before validUntil if revoked or expired early).
          // Up to that day its establishment's licence history is no longer whole (destroyedLicencesUntil()).
          ...(c.licence
            ? {
                inForceUntil: effectiveEnd({ ...c.licence, statusHistory: c.licence.statusHistory as StatusChange[] }),
              }
            : {}),
          auditEntries: blanked.get(c.id) ?? [],
          // Per blanked entry, the hash of what it keeps (who, when, what): still covered, though its content hash can no longer be recomputed.
          keptFieldsHashes: Object.fromEntries((blanked.get(c.id) ?? []).map((seq) => [seq, kept.get(seq)])),
        },
      }));
      const entries = [...blanked.values()].reduce((n, s) => n + s.length, 0);
      return { value: { found: candidates.length, records: gone.length, entries }, changes };
    });
  }

  async function destroyPastRetention(ctx: RequestContext, rules: readonly RetentionRule[], today: string): Promise<DestructionReport> {
    const report: DestructionReport = { destroyed: {}, auditEntriesBlanked: 0 };
    // Actions and licences first: an establishment can only go once nothing refers to it.
    const order = ['enforcement_action', 'licence', 'establishment'];
    const sorted = [...rules].sort((a, b) => order.indexOf(a.recordType) - order.indexOf(b.recordType));
    for (const rule of sorted) {
      const cutOff = cutOffDate(today, rule.years);
      report.destroyed[rule.recordType] = 0;
      for (const source of sourcesOf(rule)) {
        for (;;) {
          const done = await destroyBatch(ctx, rule, cutOff, source);
          report.destroyed[rule.recordType] = (report.destroyed[rule.recordType] ?? 0) + done.records;
          report.auditEntriesBlanked += done.entries;
          if (done.found < BATCH) break;
        }
      }
    }
    return report;
  }

  return { destroyPastRetention };
}
