import type { Establishment, Page, PageRequest } from '../../domain/records.js';
import { type EstablishmentFilters, findEstablishment, listEstablishments } from '../../infrastructure/repositories/establishments.js';
import type { RequestContext } from '../context.js';
import { toEstablishment } from '../records.js';
import type { Reader } from './read.js';

export function createEstablishmentQueries(read: Reader) {
  const get = (ctx: RequestContext, id: string): Promise<Establishment> =>
    read.record(ctx, `Establishment ${id}`, (tx) => findEstablishment(tx, ctx.scope, id), toEstablishment);

  const list = (ctx: RequestContext, filters: EstablishmentFilters, page: PageRequest): Promise<Page<Establishment>> =>
    read.page(ctx, (tx) => listEstablishments(tx, ctx.scope, filters, page), toEstablishment);

  return { get, list };
}
