import { cutOffDate, type RetentionRule, STAGES_KEPT } from '../../domain/retention.js';
import type { Tx } from '../../infrastructure/db/client.js';
import {
  actionsPastRetention,
  type Candidate,
  destroyRecords,
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

function candidatesFor(tx: Tx, rule: RetentionRule, cutOff: string): Promise<Candidate[]> {
  switch (rule.recordType) {
    case 'enforcement_action':
      return actionsPastRetention(tx, cutOff, STAGES_KEPT, BATCH);
    case 'licence':
      return licencesPastRetention(tx, cutOff, BATCH);
    case 'establishment':
      return establishmentsPastRetention(tx, cutOff, BATCH);
  }
}

/**
 * Destruction under the Archiefwet: records past their retention period go (the row is deleted),
 * and so does the content of their audit entries (before, after and reason are blanked through
 * the database's one controlled path, migration 0013). Each destroyed record gets a `destroy` entry
 * in the chain recording what (type, id, municipality), when, under which rule (selection list,
 * period, what it runs from, the cut-off date) and which entries were blanked, so the chain still
 * verifies. The statistics keep their counts (the rollups are not decremented).
 */
export function createRetentionCommands(runner: CommandRunner) {
  async function destroyPastRetention(ctx: RequestContext, rules: readonly RetentionRule[], today: string): Promise<DestructionReport> {
    const report: DestructionReport = { destroyed: {}, auditEntriesBlanked: 0 };
    // Actions and licences first: an establishment can only go once nothing refers to it.
    const order = ['enforcement_action', 'licence', 'establishment'];
    const sorted = [...rules].sort((a, b) => order.indexOf(a.recordType) - order.indexOf(b.recordType));
    for (const rule of sorted) {
      const cutOff = cutOffDate(today, rule.years);
      report.destroyed[rule.recordType] = 0;
      for (;;) {
        const done = await runner.run(ctx, async (tx) => {
          const candidates = await candidatesFor(tx, rule, cutOff);
          const blanked = await destroyRecords(
            tx,
            rule.recordType,
            candidates.map((c) => c.id),
          );
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
              rule: { selectionList: rule.selectionList, retentionYears: rule.years, runsFrom: rule.runsFrom, cutOffDate: cutOff },
              periodRanFrom: c.basis,
              auditEntries: blanked.get(c.id) ?? [],
            },
          }));
          const entries = [...blanked.values()].reduce((n, s) => n + s.length, 0);
          return { value: { found: candidates.length, records: gone.length, entries }, changes };
        });
        report.destroyed[rule.recordType] = (report.destroyed[rule.recordType] ?? 0) + done.records;
        report.auditEntriesBlanked += done.entries;
        if (done.found < BATCH) break;
      }
    }
    return report;
  }

  return { destroyPastRetention };
}
