import { NotFound } from '../../domain/errors.js';
import type { Page, PageRequest } from '../../domain/records.js';
import { findStatisticsRelease, listStatisticsReleases } from '../../infrastructure/repositories/reporting.js';
import { type StatisticsRelease, toStatisticsRelease } from '../commands/statistics-releases.js';
import type { RequestContext } from '../context.js';
import type { Reader } from './read.js';

export function createStatisticsReleaseQueries(read: Reader) {
  async function get(ctx: RequestContext, n: number): Promise<StatisticsRelease> {
    const row = await read.one(ctx, (tx) => findStatisticsRelease(tx, n));
    if (!row) throw new NotFound(`Statistics release ${n}`);
    return toStatisticsRelease(row);
  }

  /** The releases without their figures, oldest first. */
  async function list(ctx: RequestContext, page: PageRequest): Promise<Page<Omit<StatisticsRelease, 'items'>>> {
    const { rows, totalItems } = await read.list(ctx, (tx) => listStatisticsReleases(tx, page));
    return {
      items: rows.map((r) => {
        const { items: _figures, ...rest } = toStatisticsRelease(r);
        return rest;
      }),
      totalItems,
    };
  }

  return { get, list };
}
