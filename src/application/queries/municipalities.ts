import type { Municipality, Page, PageRequest } from '../../domain/records.js';
import { findMunicipality, listMunicipalities } from '../../infrastructure/repositories/municipalities.js';
import { type RequestContext, systemContext } from '../context.js';
import { toMunicipality } from '../records.js';
import type { Reader } from './read.js';

export function createMunicipalityQueries(read: Reader) {
  const list = (ctx: RequestContext, programme: string | undefined, page: PageRequest): Promise<Page<Municipality>> =>
    read.page(ctx, (tx) => listMunicipalities(tx, programme, page), toMunicipality);

  const get = (ctx: RequestContext, code: string): Promise<Municipality> =>
    read.record(ctx, `Municipality ${code}`, (tx) => findMunicipality(tx, code), toMunicipality);

  /** Codes found registered: municipalities are never removed, so a code once found stays registered. */
  const known = new Set<string>();
  /** Whether `code` is a registered municipality (an identity provider's officer may name any code). */
  const registered = async (code: string): Promise<boolean> => {
    if (known.has(code)) return true;
    const row = await read.one(systemContext('is the municipality of a token registered'), (tx) => findMunicipality(tx, code));
    if (row) known.add(code);
    return row !== null;
  };

  return { list, get, registered };
}
