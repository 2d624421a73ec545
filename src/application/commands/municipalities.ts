import { assertNoInvalidParams, Conflict, RuleViolation } from '../../domain/errors.js';
import { checkMunicipalityYears, describeYears, unknownMunicipality, yearOfMunicipalityIssues } from '../../domain/municipalities.js';
import type { Municipality, MunicipalityInput } from '../../domain/records.js';
import type { Tx } from '../../infrastructure/db/client.js';
import {
  findMunicipality,
  insertMunicipalityIfAbsent,
  updateMunicipality,
  yearsWithRecordsOutside,
} from '../../infrastructure/repositories/municipalities.js';
import type { RequestContext } from '../context.js';
import { toMunicipality } from '../records.js';
import { type CommandRunner, createdRecord, type Revision } from './run.js';

/**
 * The rule of a record dated in a year (an action's decision date, an attestation's year): its
 * municipality is registered (a 400 at `municipalityCode`) and exists in that year (a 400 at `field`).
 * The municipality's row is taken FOR SHARE until the write commits, so that a concurrent change of
 * its years waits and then sees this record.
 */
export async function assertMunicipalityExistsIn(tx: Tx, code: string, year: number, field: string): Promise<void> {
  const municipality = await findMunicipality(tx, code, 'share');
  if (!municipality) throw new RuleViolation([unknownMunicipality(code)]);
  assertNoInvalidParams(yearOfMunicipalityIssues(field, code, municipality, year));
}

/** What a correction of a municipality may change: its name and its years (the code and programmes are read-only). */
export type MunicipalityCorrection = Pick<MunicipalityInput, 'name' | 'firstYear' | 'lastYear'>;

/** Gemeenten: the LPP ten are seeded; an admin adds any other, and records when one was formed or merged away. */
export function createMunicipalityCommands(runner: CommandRunner) {
  function create(ctx: RequestContext, input: MunicipalityInput) {
    assertNoInvalidParams(checkMunicipalityYears(input));
    return runner.create(ctx, async (tx) => {
      const now = new Date();
      const row = await insertMunicipalityIfAbsent(tx, {
        ...input,
        firstYear: input.firstYear ?? null,
        lastYear: input.lastYear ?? null,
        createdAt: now,
        updatedAt: now,
      });
      if (!row) throw new Conflict('municipality-exists', `Municipality ${input.code} is already registered.`);
      return createdRecord('municipality', row.code, row.code, toMunicipality(row));
    });
  }

  /**
   * A correction of the name or the years. Years that would leave out a year in which the
   * municipality has records (live actions, counts of destroyed ones, attestations) are a 409: those
   * records would drop out of every figure. Record writes take the municipality's row FOR SHARE, so
   * a change of its years waits for them and then sees what they wrote.
   */
  function replace(ctx: RequestContext, code: string, expectedVersion: number, revision: Revision<Municipality, MunicipalityCorrection>) {
    return runner.correct(ctx, {
      objectType: 'municipality',
      objectId: code,
      what: `Municipality ${code}`,
      expectedVersion,
      load: (tx) => findMunicipality(tx, code, 'update'),
      view: toMunicipality,
      municipalityCode: (r) => r.code,
      revision,
      check: async (tx, _current, input) => {
        assertNoInvalidParams(checkMunicipalityYears(input));
        const years = { firstYear: input.firstYear ?? null, lastYear: input.lastYear ?? null };
        const outside = await yearsWithRecordsOutside(tx, code, years.firstYear, years.lastYear);
        if (outside.length > 0) {
          throw new Conflict(
            'records-outside-years',
            `${code} has records dated in ${outside.join(', ')}, outside ${describeYears(years)}: correct or delete those first.`,
          );
        }
      },
      columns: (input) => ({ name: input.name, firstYear: input.firstYear ?? null, lastYear: input.lastYear ?? null }),
      // A municipality keeps no updated_by: the audit entry of the change names who made it.
      write: (tx, _current, _input, { updatedBy: _by, ...values }) => updateMunicipality(tx, code, values),
    });
  }

  return { create, replace };
}
