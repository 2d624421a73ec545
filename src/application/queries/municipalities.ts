import { NotFound } from '../../domain/errors.js';
import type { Municipality, Page, PageRequest } from '../../domain/records.js';
import { findMunicipality, listMunicipalities } from '../../infrastructure/repositories/municipalities.js';
import type { RequestContext } from '../context.js';
import { toMunicipality } from '../records.js';
import type { Reader } from './read.js';

export function createMunicipalityQueries(read: Reader) {
  async function list(ctx: RequestContext, programme: string | undefined, page: PageRequest): Promise<Page<Municipality>> {
    const { rows, totalItems } = await read.list(ctx, (tx) => listMunicipalities(tx, programme, page));
    return { items: rows.map(toMunicipality), totalItems };
  }

  async function get(ctx: RequestContext, code: string): Promise<Municipality> {
    const row = await read.one(ctx, (tx) => findMunicipality(tx, code));
    if (!row) throw new NotFound(`Municipality ${code}`);
    return toMunicipality(row);
  }

  return { list, get };
}
