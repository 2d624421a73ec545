import { randomUUID } from 'node:crypto';
import { checkActionChange, checkEnforcementAction, type StageName } from '../../domain/enforcement-actions.js';
import { assertNoInvalidParams, Conflict, type DomainError, RuleViolation } from '../../domain/errors.js';
import { type LicencePeriod, licenceHistoryDestroyed, licenceStatusOn } from '../../domain/licences.js';
import { yearOfMunicipalityIssues } from '../../domain/municipalities.js';
import type { EnforcementAction, EnforcementActionInput } from '../../domain/records.js';
import type { Tx } from '../../infrastructure/db/client.js';
import {
  type EnforcementActionRow,
  findEnforcementAction,
  insertEnforcementAction,
  insertEnforcementActions,
  lockLiveActionsOf,
  updateEnforcementAction,
} from '../../infrastructure/repositories/enforcement-actions.js';
import { findEstablishment, findEstablishments } from '../../infrastructure/repositories/establishments.js';
import { idsByExternalReference } from '../../infrastructure/repositories/external-references.js';
import { licencesOf, licencesOfEstablishments } from '../../infrastructure/repositories/licences.js';
import { findMunicipality, type MunicipalityRow } from '../../infrastructure/repositories/municipalities.js';
import { destroyedLicencesUntil } from '../../infrastructure/repositories/retention.js';
import { todayInNetherlands } from '../../lib/dates.js';
import type { RequestContext } from '../context.js';
import { enforcementActionColumns, toEnforcementAction, toLicencePeriod } from '../records.js';
import { assertMunicipalityExistsIn } from './municipalities.js';
import { assertReferenceFree, type Change, type CommandRunner, createdRecord, type Revision, stamps, tombstoneColumns } from './run.js';

/** The establishment's licence history, as the domain's licence rules read it. */
export const licenceHistory = async (tx: Tx, establishmentId: string) => (await licencesOf(tx, establishmentId)).map(toLicencePeriod);

/** Whether a date lies in a licence's validity period: only there can the licence put an action in force. */
const withinValidity = (l: LicencePeriod, date: string) => date >= l.validFrom && (l.validUntil === null || date <= l.validUntil);

/**
 * A command step after a change to a licence history: re-derives `licenceStatus` of the
 * establishment's live actions (the status on each decision date) whose decision date lies in the
 * validity period of a changed licence (its version before or after the change): on any other date
 * the change cannot alter the status. Actions outside are left as they are, and so are actions decided
 * on or before the last day a destroyed licence of the establishment could be in force (Archiefwet): the
 * history no longer holds it, so their stored status stays (`closedDays: 'keep'`, for a change that leaves
 * the licence's days alone), or the change is refused (`'refuse'`: one that puts days in or out of force,
 * which the command checked to start after those days before a destruction committed meanwhile). Each
 * action whose status changes gets a new version, and its change is returned for the audit trail.
 */
export async function rederiveLicenceStatus(
  tx: Tx,
  ctx: RequestContext,
  establishmentId: string,
  changed: readonly LicencePeriod[],
  closedDays: 'keep' | 'refuse',
): Promise<Change[]> {
  const history = await licenceHistory(tx, establishmentId);
  // Read after the history, so a destruction that committed in between is seen here (READ COMMITTED).
  const destroyedUntil = (await destroyedLicencesUntil(tx, [establishmentId])).get(establishmentId);
  const changes: Change[] = [];
  const now = new Date();
  for (const a of await lockLiveActionsOf(tx, establishmentId)) {
    if (!changed.some((l) => withinValidity(l, a.decisionDate))) continue;
    if (destroyedUntil && a.decisionDate <= destroyedUntil) {
      // The history there is no longer whole: a change that leaves the licence's days alone keeps the
      // status. One that changes them was checked to start after the closed days; an action on them now
      // means a destruction committed since that check: refused, as it would have been after it.
      if (closedDays === 'keep') continue;
      throw licenceHistoryDestroyed('licence', a.decisionDate, destroyedUntil);
    }
    const derived = licenceStatusOn(history, a.decisionDate);
    if (derived === a.licenceStatus) continue;
    const updated = await updateEnforcementAction(tx, a.id, {
      licenceStatus: derived,
      version: a.version + 1,
      updatedAt: now,
      updatedBy: ctx.actor.clientId ?? a.updatedBy,
    });
    changes.push({
      action: 'rederive',
      objectType: 'enforcement_action',
      objectId: a.id,
      municipalityCode: a.municipalityCode,
      before: toEnforcementAction(a),
      after: toEnforcementAction(updated),
    });
  }
  return changes;
}

const yearOf = (date: string) => Number(date.slice(0, 4));

/**
 * Refuses an action on `from`, or a licence change touching days from `from` on, where the
 * establishment's licence history is no longer whole (a licence of it destroyed). Call it after reading
 * the licences, so a destruction committed in between is seen (READ COMMITTED).
 */
export async function assertLicenceHistoryWhole(tx: Tx, what: 'action' | 'licence', establishmentId: string, from: string) {
  const gone = licenceHistoryDestroyed(what, from, (await destroyedLicencesUntil(tx, [establishmentId])).get(establishmentId));
  if (gone) throw gone;
}

// The establishment is a field of the body here, not the resource in the path: a 400.
const unknownEstablishment = (id: string) =>
  new RuleViolation([
    { name: 'establishmentId', code: 'unknown_establishment', reason: `establishment ${id} does not exist or is not yours` },
  ]);

const referenceTaken = (municipalityCode: string, reference: string, holder: string) =>
  new Conflict(
    'external-reference-taken',
    `Another enforcement action of ${municipalityCode} (${holder}) has externalReference ${reference}.`,
  );

/** Bestuurlijke handhavingsmaatregelen: recorded, corrected and deleted by the officers of their municipality. */
export function createEnforcementActionCommands(runner: CommandRunner) {
  function create(ctx: RequestContext, input: EnforcementActionInput) {
    assertNoInvalidParams(checkEnforcementAction(input, todayInNetherlands()));
    return runner.create(ctx, async (tx) => {
      const establishment = await findEstablishment(tx, ctx.scope, input.establishmentId, true);
      if (!establishment) throw unknownEstablishment(input.establishmentId);
      await assertMunicipalityExistsIn(tx, establishment.municipalityCode, yearOf(input.decisionDate), 'decisionDate');
      const history = await licenceHistory(tx, establishment.id);
      await assertLicenceHistoryWhole(tx, 'action', establishment.id, input.decisionDate); // after the history
      await assertReferenceFree(tx, 'enforcement_action', establishment.municipalityCode, input.externalReference);
      const row = await insertEnforcementAction(tx, {
        id: randomUUID(),
        establishmentId: establishment.id,
        municipalityCode: establishment.municipalityCode,
        licenceStatus: licenceStatusOn(history, input.decisionDate),
        ...enforcementActionColumns(input),
        ...stamps(ctx),
      });
      return createdRecord('enforcement_action', row.id, row.municipalityCode, toEnforcementAction(row));
    });
  }

  /**
   * Many creates as one command (an import's batch): each input gets the rules of `create` and
   * either its record or the error `create` would have thrown for it, as if they were created one
   * after another in this order; the valid ones are written together, with one audit entry each.
   * Reads and writes a handful of statements however many there are. An error of the database
   * (not of an input) throws, and nothing of the batch is written.
   */
  function createMany(ctx: RequestContext, inputs: readonly EnforcementActionInput[]): Promise<(EnforcementAction | DomainError)[]> {
    const today = todayInNetherlands();
    return runner.run(ctx, async (tx) => {
      const outcomes: (EnforcementAction | DomainError | null)[] = inputs.map((input) => {
        const problems = checkEnforcementAction(input, today);
        return problems.length > 0 ? new RuleViolation(problems) : null;
      });
      const valid = inputs.flatMap((input, i) => (outcomes[i] === null ? [input] : []));
      const establishments = new Map(
        (await findEstablishments(tx, ctx.scope, [...new Set(valid.map((input) => input.establishmentId))])).map((e) => [e.id, e]),
      );
      const taken = new Map<string, Map<string, string>>(); // municipality → reference → holder
      const municipalities = new Map<string, MunicipalityRow | null>(); // each taken FOR SHARE, as by create
      for (const code of new Set([...establishments.values()].map((e) => e.municipalityCode))) {
        municipalities.set(code, await findMunicipality(tx, code, 'share'));
        const references = valid.flatMap((input) =>
          input.externalReference && establishments.get(input.establishmentId)?.municipalityCode === code ? [input.externalReference] : [],
        );
        taken.set(code, await idsByExternalReference(tx, 'enforcement_action', code, references));
      }
      const histories = new Map<string, LicencePeriod[]>();
      for (const licence of await licencesOfEstablishments(tx, [...establishments.keys()])) {
        histories.set(licence.establishmentId, [...(histories.get(licence.establishmentId) ?? []), toLicencePeriod(licence)]);
      }
      const destroyed = await destroyedLicencesUntil(tx, [...establishments.keys()]); // after the histories
      const values: Parameters<typeof insertEnforcementActions>[1] = [];
      const at: number[] = []; // the input of each row
      inputs.forEach((input, i) => {
        if (outcomes[i] !== null) return;
        const establishment = establishments.get(input.establishmentId);
        if (!establishment) {
          outcomes[i] = unknownEstablishment(input.establishmentId);
          return;
        }
        const municipality = municipalities.get(establishment.municipalityCode);
        const outside =
          municipality &&
          yearOfMunicipalityIssues('decisionDate', establishment.municipalityCode, municipality, yearOf(input.decisionDate));
        if (outside?.length) {
          outcomes[i] = new RuleViolation(outside);
          return;
        }
        const gone = licenceHistoryDestroyed('action', input.decisionDate, destroyed.get(establishment.id));
        if (gone) {
          outcomes[i] = gone;
          return;
        }
        const reference = input.externalReference;
        const references = taken.get(establishment.municipalityCode) as Map<string, string>;
        const holder = reference ? references.get(reference) : undefined;
        if (reference && holder) {
          outcomes[i] = referenceTaken(establishment.municipalityCode, reference, holder);
          return;
        }
        const id = randomUUID();
        if (reference) references.set(reference, id); // a later input with the same reference finds this one
        values.push({
          id,
          establishmentId: establishment.id,
          municipalityCode: establishment.municipalityCode,
          licenceStatus: licenceStatusOn(histories.get(establishment.id) ?? [], input.decisionDate),
          ...enforcementActionColumns(input),
          ...stamps(ctx),
        });
        at.push(i);
      });
      const stored = new Map((await insertEnforcementActions(tx, values)).map((row) => [row.id, row]));
      const changes = values.map((v, k) => {
        const row = stored.get(v.id as string) as EnforcementActionRow;
        const made = createdRecord('enforcement_action', row.id, row.municipalityCode, toEnforcementAction(row));
        outcomes[at[k] as number] = made.value;
        return made.changes;
      });
      return { value: outcomes as (EnforcementAction | DomainError)[], changes: changes.flat() };
    });
  }

  const common = (ctx: RequestContext, id: string, expectedVersion: number) => ({
    objectType: 'enforcement_action' as const,
    objectId: id,
    what: `Enforcement action ${id}`,
    expectedVersion,
    view: toEnforcementAction,
    municipalityCode: (r: EnforcementActionRow) => r.municipalityCode,
    load: (tx: Tx) => findEnforcementAction(tx, ctx.scope, id, true),
  });

  /** A correction: the whole new content, or a revision of the stored record (PATCH, PUT of a read representation). */
  function replace(
    ctx: RequestContext,
    id: string,
    expectedVersion: number,
    revision: Revision<EnforcementAction, EnforcementActionInput>,
  ) {
    return runner.correct(ctx, {
      ...common(ctx, id, expectedVersion),
      revision,
      check: async (tx, current, input) => {
        assertNoInvalidParams([
          ...checkEnforcementAction(input, todayInNetherlands()),
          ...checkActionChange({ stage: current.stage as StageName, establishmentId: current.establishmentId }, input),
        ]);
        await assertMunicipalityExistsIn(tx, current.municipalityCode, yearOf(input.decisionDate), 'decisionDate');
        await assertReferenceFree(tx, 'enforcement_action', current.municipalityCode, input.externalReference, id);
      },
      columns: enforcementActionColumns,
      // The same decision date keeps the status stored (kept in step with every licence change):
      // re-deriving it could only differ where the licence it rested on was destroyed. Another date is
      // derived, and refused where a destroyed licence could have been in force on it.
      write: async (tx, current, input, values) => {
        let licenceStatus = current.licenceStatus;
        if (input.decisionDate !== current.decisionDate) {
          const history = await licenceHistory(tx, current.establishmentId);
          await assertLicenceHistoryWhole(tx, 'action', current.establishmentId, input.decisionDate); // after the history
          licenceStatus = licenceStatusOn(history, input.decisionDate);
        }
        return updateEnforcementAction(tx, id, { ...values, licenceStatus });
      },
    });
  }

  /** Deletes with a reason, keeping a tombstone: gone from lists and statistics, its trail stays. */
  async function remove(ctx: RequestContext, id: string, expectedVersion: number): Promise<void> {
    await runner.change(ctx, {
      ...common(ctx, id, expectedVersion),
      action: 'delete',
      write: async (tx, current) => {
        await updateEnforcementAction(tx, id, tombstoneColumns(ctx, current));
        return null;
      },
    });
  }

  return { create, createMany, replace, remove };
}
