import type { StatisticsReleaseRow } from '../../infrastructure/repositories/reporting.js';
import { insertStatisticsRelease } from '../../infrastructure/repositories/reporting.js';
import type { RequestContext } from '../context.js';
import type { CountingRule, StatisticsRequest, StatisticsService } from '../statistics/statistics.js';
import { type CommandRunner, createdRecord } from './run.js';

/** A numbered, immutable table of figures: the question, the rule, the numbers, and when they held. */
export interface StatisticsRelease {
  number: number;
  title: string;
  publishedAt: string;
  publishedBy: string | null;
  asOf: string;
  query: StatisticsRequest;
  countingRule: CountingRule;
  items: Record<string, unknown>[];
  version: 1;
}

export const toStatisticsRelease = (r: StatisticsReleaseRow): StatisticsRelease => ({
  number: r.number,
  title: r.title,
  publishedAt: r.publishedAt.toISOString(),
  publishedBy: r.publishedBy,
  asOf: r.asOf.toISOString(),
  query: r.query as StatisticsRequest,
  countingRule: r.countingRule as CountingRule,
  items: r.items as Record<string, unknown>[],
  version: 1,
});

/**
 * Publishing a release (admin): the figures are computed once, from the same question and rule as
 * /statistics/enforcement-actions, and stored with them under the next number. The table is
 * append-only (migration 0017), so GET /statistics/releases/{number} answers the same forever.
 */
export function createStatisticsReleaseCommands(runner: CommandRunner, statistics: StatisticsService) {
  async function publish(ctx: RequestContext, title: string, request: StatisticsRequest) {
    // Analysts read releases: their period is whole months at the finest, whoever publishes.
    const { rows, countingRule, resolved } = await statistics.table(ctx, request, { forAnalysts: true });
    const names = new Map(resolved.municipalities.map((m) => [m.code, m.name]));
    const items = rows.map((r) => (r.municipalityCode ? { ...r, municipalityName: names.get(r.municipalityCode) ?? '' } : r));
    return runner.create(ctx, async (tx) => {
      const row = await insertStatisticsRelease(tx, {
        title,
        publishedAt: new Date(),
        publishedBy: ctx.actor.clientId,
        asOf: new Date(countingRule.asOf),
        query: request,
        countingRule,
        items,
      });
      const release = toStatisticsRelease(row);
      const { items: _figures, ...described } = release;
      return { ...createdRecord('statistics_release', String(row.number), null, described), value: release };
    });
  }

  return { publish };
}
