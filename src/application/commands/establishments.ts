import { randomUUID } from 'node:crypto';
import { Conflict, Forbidden, RuleViolation } from '../../domain/errors.js';
import { unknownMunicipality } from '../../domain/municipalities.js';
import type { Establishment, EstablishmentInput } from '../../domain/records.js';
import type { Tx } from '../../infrastructure/db/client.js';
import {
  countReferences,
  type EstablishmentRow,
  findEstablishment,
  insertEstablishment,
  updateEstablishment,
} from '../../infrastructure/repositories/establishments.js';
import { findMunicipality } from '../../infrastructure/repositories/municipalities.js';
import type { RequestContext } from '../context.js';
import { establishmentColumns, toEstablishment } from '../records.js';
import { assertReferenceFree, type CommandRunner, createdRecord, type Revision, stamps, tombstoneColumns } from './run.js';

/** The municipality of a new record must be registered (a rule on the body, so a 400). */
export async function assertMunicipalityRegistered(tx: Tx, code: string): Promise<void> {
  if (!(await findMunicipality(tx, code))) {
    throw new RuleViolation([unknownMunicipality(code)]);
  }
}

const common = (id: string) => ({
  objectType: 'establishment' as const,
  objectId: id,
  what: `Establishment ${id}`,
  view: toEstablishment,
  municipalityCode: (r: EstablishmentRow) => r.municipalityCode,
});

/** Seksinrichtingen: registered, corrected and deleted by the officers of their municipality. */
export function createEstablishmentCommands(runner: CommandRunner) {
  function create(ctx: RequestContext, input: EstablishmentInput) {
    if (input.municipalityCode !== ctx.municipalityCode) {
      throw new Forbidden(`You may register establishments only in ${ctx.municipalityCode}.`);
    }
    return runner.create(ctx, async (tx) => {
      await assertMunicipalityRegistered(tx, input.municipalityCode);
      await assertReferenceFree(tx, 'establishment', input.municipalityCode, input.externalReference);
      const row = await insertEstablishment(tx, {
        id: randomUUID(),
        ...establishmentColumns(input),
        ...stamps(ctx),
      });
      return createdRecord('establishment', row.id, row.municipalityCode, toEstablishment(row));
    });
  }

  /** A correction: the whole new content, or a revision of the stored record (PATCH, PUT of a read representation). */
  function replace(ctx: RequestContext, id: string, expectedVersion: number, revision: Revision<Establishment, EstablishmentInput>) {
    return runner.correct(ctx, {
      ...common(id),
      expectedVersion,
      load: (tx) => findEstablishment(tx, ctx.scope, id, true),
      revision,
      check: async (tx, current, input) => {
        // As an action's establishmentId: a field that cannot change is a rule on the body (400 immutable).
        if (input.municipalityCode !== current.municipalityCode) {
          throw new RuleViolation([
            {
              name: 'municipalityCode',
              code: 'immutable',
              reason: `an establishment cannot move to another municipality (it is in ${current.municipalityCode}); register it there anew`,
            },
          ]);
        }
        await assertReferenceFree(tx, 'establishment', current.municipalityCode, input.externalReference, id);
      },
      columns: establishmentColumns,
      write: (tx, _current, _input, values) => updateEstablishment(tx, id, values),
    });
  }

  /** Deletes an establishment that nothing refers to, keeping a tombstone and its trail. */
  async function remove(ctx: RequestContext, id: string, expectedVersion: number): Promise<void> {
    await runner.change(ctx, {
      ...common(id),
      action: 'delete',
      expectedVersion,
      load: (tx) => findEstablishment(tx, ctx.scope, id, true),
      check: async (tx) => {
        const refs = await countReferences(tx, id);
        if (refs.actions > 0 || refs.licences > 0) {
          throw new Conflict(
            'establishment-in-use',
            `Establishment ${id} still has ${refs.actions} enforcement action(s) and ${refs.licences} licence(s); delete those first.`,
          );
        }
      },
      write: async (tx, current) => {
        await updateEstablishment(tx, id, tombstoneColumns(ctx, current));
        return null;
      },
    });
  }

  return { create, replace, remove };
}
