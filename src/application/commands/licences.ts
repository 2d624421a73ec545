import { randomUUID } from 'node:crypto';
import { assertNoInvalidParams, Conflict, NotFound } from '../../domain/errors.js';
import { checkLicence, type LicencePeriod, overlaps } from '../../domain/licences.js';
import type { Licence, LicenceInput } from '../../domain/records.js';
import type { Tx } from '../../infrastructure/db/client.js';
import { findEstablishment } from '../../infrastructure/repositories/establishments.js';
import {
  deleteLicence,
  findLicence,
  insertLicence,
  type LicenceRow,
  licencesOf,
  updateLicence,
} from '../../infrastructure/repositories/licences.js';
import type { RequestContext } from '../context.js';
import { licenceColumns, toLicence, toLicencePeriod } from '../records.js';
import { assertLicenceHistoryWhole, rederiveLicenceStatus } from './enforcement-actions.js';
import { assertReferenceFree, type CommandRunner, createdRecord, type Revision, stamps } from './run.js';

/** Rejects a licence that would be in force on a day another licence of the establishment is. */
async function assertNoOverlap(tx: Tx, establishmentId: string, candidate: LicencePeriod, exceptId?: string) {
  for (const o of await licencesOf(tx, establishmentId, exceptId)) {
    if (o.licenceNumber === candidate.licenceNumber) {
      throw new Conflict('licence-number-taken', `This establishment already has licence ${o.licenceNumber} (${o.id}).`);
    }
    const other = { ...o, statusHistory: o.statusHistory as LicencePeriod['statusHistory'] };
    if (overlaps(other, candidate)) {
      throw new Conflict(
        'licence-period-overlap',
        `Licence ${candidate.licenceNumber} would be in force on days licence ${o.licenceNumber} (${o.id}) already is; an establishment holds one licence at a time.`,
      );
    }
  }
}

const period = (input: LicenceInput): LicencePeriod => ({ ...input, validUntil: input.validUntil ?? null });

/** The days a licence is in force, as text: two that differ cover other days. */
const daysOf = (l: LicencePeriod) =>
  [l.validFrom, l.validUntil ?? '', ...l.statusHistory.map((c) => `${c.status}:${c.effectiveDate}`)].join(' ');

/** Exploitatievergunningen and their history; every change re-derives the establishment's actions' licence status. */
export function createLicenceCommands(runner: CommandRunner) {
  async function lockEstablishment(tx: Tx, ctx: RequestContext, establishmentId: string) {
    const establishment = await findEstablishment(tx, ctx.scope, establishmentId, true);
    if (!establishment) throw new NotFound(`Establishment ${establishmentId}`);
    return establishment;
  }

  function create(ctx: RequestContext, establishmentId: string, input: LicenceInput) {
    assertNoInvalidParams(checkLicence(input));
    return runner.create(ctx, async (tx) => {
      const establishment = await lockEstablishment(tx, ctx, establishmentId);
      // The reference first: a create retried without an Idempotency-Key overlaps its own first
      // licence too, and the reference's 409 names that licence (Location).
      await assertReferenceFree(tx, 'licence', establishment.municipalityCode, input.externalReference);
      await assertNoOverlap(tx, establishmentId, period(input));
      await assertLicenceHistoryWhole(tx, 'licence', establishmentId, input.validFrom);
      const row = await insertLicence(tx, {
        id: randomUUID(),
        establishmentId,
        municipalityCode: establishment.municipalityCode,
        ...licenceColumns(input),
        ...stamps(ctx),
      });
      const made = createdRecord('licence', row.id, row.municipalityCode, toLicence(row));
      made.changes.push(...(await rederiveLicenceStatus(tx, ctx, establishmentId, [period(input)], 'refuse')));
      return made;
    });
  }

  const common = (ctx: RequestContext, establishmentId: string, licenceId: string, expectedVersion: number) => ({
    objectType: 'licence' as const,
    objectId: licenceId,
    what: `Licence ${licenceId}`,
    expectedVersion,
    view: toLicence,
    municipalityCode: (r: LicenceRow) => r.municipalityCode,
    load: async (tx: Tx) => {
      await lockEstablishment(tx, ctx, establishmentId);
      return findLicence(tx, ctx.scope, establishmentId, licenceId, true);
    },
    followUp: async (tx: Tx, before: LicenceRow, after: LicenceRow | null) =>
      rederiveLicenceStatus(
        tx,
        ctx,
        establishmentId,
        [before, ...(after ? [after] : [])].map(toLicencePeriod),
        after && daysOf(toLicencePeriod(after)) === daysOf(toLicencePeriod(before)) ? 'keep' : 'refuse',
      ),
  });

  /** A correction: the whole new content, or a revision of the stored record (PATCH, PUT of a read representation). */
  function replace(
    ctx: RequestContext,
    establishmentId: string,
    licenceId: string,
    expectedVersion: number,
    revision: Revision<Licence, LicenceInput>,
  ) {
    return runner.correct(ctx, {
      ...common(ctx, establishmentId, licenceId, expectedVersion),
      revision,
      check: async (tx, current, input) => {
        assertNoInvalidParams(checkLicence(input));
        await assertReferenceFree(tx, 'licence', current.municipalityCode, input.externalReference, licenceId);
        await assertNoOverlap(tx, establishmentId, period(input), licenceId);
        // A correction that leaves its days alone (a reference, a number) is no question of the history;
        // one that changes them may touch any day from the earlier of the two validFroms on.
        const before = toLicencePeriod(current);
        if (daysOf(period(input)) !== daysOf(before)) {
          await assertLicenceHistoryWhole(
            tx,
            'licence',
            establishmentId,
            input.validFrom < before.validFrom ? input.validFrom : before.validFrom,
          );
        }
      },
      columns: licenceColumns,
      write: (tx, _current, _input, values) => updateLicence(tx, licenceId, values),
    });
  }

  async function remove(ctx: RequestContext, establishmentId: string, licenceId: string, expectedVersion: number): Promise<void> {
    await runner.change(ctx, {
      ...common(ctx, establishmentId, licenceId, expectedVersion),
      action: 'delete',
      write: async (tx, current) => {
        await assertLicenceHistoryWhole(tx, 'licence', establishmentId, current.validFrom); // its days go out of force
        await deleteLicence(tx, licenceId);
        return null;
      },
    });
  }

  return { create, replace, remove };
}
