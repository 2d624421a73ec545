import type { Municipality, Page, PageRequest } from '../../domain/records.js';
import { findMunicipality, listMunicipalities } from '../../infrastructure/repositories/municipalities.js';
import type { RequestContext } from '../context.js';
import { toMunicipality } from '../records.js';
import type { Reader } from './read.js';

export function createMunicipalityQueries(read: Reader) {
  const list = (ctx: RequestContext, programme: string | undefined, page: PageRequest): Promise<Page<Municipality>> =>
    read.page(ctx, (tx) => listMunicipalities(tx, programme, page), toMunicipality);

  const get = (ctx: RequestContext, code: string): Promise<Municipality> =>
    read.record(ctx, `Municipality ${code}`, (tx) => findMunicipality(tx, code), toMunicipality);

  return { list, get };
}
