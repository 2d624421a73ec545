import type { Page, PageRequest } from '../../domain/records.js';
import { findStatisticsRelease, listStatisticsReleases } from '../../infrastructure/repositories/reporting.js';
import { type StatisticsRelease, toStatisticsRelease } from '../commands/statistics-releases.js';
import type { RequestContext } from '../context.js';
import type { Reader } from './read.js';

export function createStatisticsReleaseQueries(read: Reader) {
  const get = (ctx: RequestContext, n: number): Promise<StatisticsRelease> =>
    read.record(ctx, `Statistics release ${n}`, (tx) => findStatisticsRelease(tx, n), toStatisticsRelease);

  /** The releases without their figures, oldest first. */
  const list = (ctx: RequestContext, page: PageRequest): Promise<Page<Omit<StatisticsRelease, 'items'>>> =>
    read.page(
      ctx,
      (tx) => listStatisticsReleases(tx, page),
      (r) => {
        const { items: _figures, ...rest } = toStatisticsRelease(r);
        return rest;
      },
    );

  return { get, list };
}
