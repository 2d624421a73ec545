import { NotFound } from '../../domain/errors.js';
import type { Establishment, Page, PageRequest } from '../../domain/records.js';
import { type EstablishmentFilters, findEstablishment, listEstablishments } from '../../infrastructure/repositories/establishments.js';
import type { RequestContext } from '../context.js';
import { toEstablishment } from '../records.js';
import type { Reader } from './read.js';

export function createEstablishmentQueries(read: Reader) {
  async function get(ctx: RequestContext, id: string): Promise<Establishment> {
    const row = await read.one(ctx, (tx) => findEstablishment(tx, ctx.scope, id));
    if (!row) throw new NotFound(`Establishment ${id}`);
    return toEstablishment(row);
  }

  async function list(ctx: RequestContext, filters: EstablishmentFilters, page: PageRequest): Promise<Page<Establishment>> {
    const { rows, totalItems } = await read.list(ctx, (tx) => listEstablishments(tx, ctx.scope, filters, page));
    return { items: rows.map(toEstablishment), totalItems };
  }

  return { get, list };
}
