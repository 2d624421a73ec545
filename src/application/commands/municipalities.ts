import { Conflict } from '../../domain/errors.js';
import type { MunicipalityInput } from '../../domain/records.js';
import { insertMunicipalityIfAbsent } from '../../infrastructure/repositories/municipalities.js';
import type { RequestContext } from '../context.js';
import { toMunicipality } from '../records.js';
import { type CommandRunner, createdRecord } from './run.js';

/** Gemeenten: the LPP ten are seeded; an admin adds any other. */
export function createMunicipalityCommands(runner: CommandRunner) {
  function create(ctx: RequestContext, input: MunicipalityInput) {
    return runner.create(ctx, async (tx) => {
      const now = new Date();
      const row = await insertMunicipalityIfAbsent(tx, { ...input, createdAt: now, updatedAt: now });
      if (!row) throw new Conflict('municipality-exists', `Municipality ${input.code} is already registered.`);
      return createdRecord('municipality', row.code, row.code, toMunicipality(row));
    });
  }

  return { create };
}
