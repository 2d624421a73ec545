import { type Cell, type Dimension, KEY_OF, type OpenDataDimension } from '../../domain/statistics.js';
import { type Equation, type Item, suppress } from '../../domain/suppression.js';
import { statisticsRepository } from '../../infrastructure/repositories/statistics.js';
import { publicContext } from '../context.js';
import type { Reader } from '../queries/read.js';
import type { CountingRule, StatisticsService } from './statistics.js';

export type CellStatus = 'reported' | 'zero' | 'suppressed' | 'not_reported';

export interface PublishedValue {
  value: number | null;
  status: CellStatus;
}

type Keys = Partial<Pick<Cell, 'year' | 'municipalityCode' | 'licenceStatus' | 'measure'>>;

function publish(item: Item): PublishedValue {
  if (item.notReported) return { value: null, status: 'not_reported' };
  if (item.suppressed) return { value: null, status: 'suppressed' };
  return { value: item.value, status: item.value === 0 ? 'zero' : 'reported' };
}

/**
 * The open-data table: always the whole scope (every registered municipality, every year with
 * data, the default counted stages), so that two requests cannot be subtracted from each other to
 * recover a suppressed cell. Cells, one marginal per value of each grouped dimension, and the grand
 * total; small counts suppressed, plus secondary suppression (domain/suppression.ts).
 */
export async function openDataTable(service: StatisticsService, read: Reader, groupBy: OpenDataDimension[], threshold: number) {
  const ctx = publicContext(null);
  const { resolved, rows, countingRule } = await service.table(ctx, { groupBy });
  const dims = resolved.query.groupBy as OpenDataDimension[];
  const reporting = await read.list(ctx, (tx) => statisticsRepository.reportingMunicipalities(tx));
  const notReported = new Set(resolved.municipalities.filter((m) => !reporting.has(m.code)).map((m) => m.code));
  const cellItems = rows.map((r) => ({
    row: r,
    item: {
      value: r.actions,
      suppressed: false,
      notReported: r.municipalityCode !== undefined && notReported.has(r.municipalityCode),
    } as Item,
  }));
  const total: Item = { value: rows.reduce((n, r) => n + r.actions, 0), suppressed: false };
  const margins: { dimension: Dimension; key: string | number; item: Item; parts: Item[] }[] = [];
  const equations: Equation[] = [];
  if (dims.length > 1) {
    for (const d of dims) {
      const byValue = new Map<string | number, { item: Item; parts: Item[] }>();
      for (const c of cellItems) {
        const v = c.row[KEY_OF[d]] as string | number;
        let m = byValue.get(v);
        if (!m) {
          m = { item: { value: 0, suppressed: false, notReported: d === 'municipality' && notReported.has(String(v)) }, parts: [] };
          byValue.set(v, m);
        }
        m.item.value += c.item.value;
        m.parts.push(c.item);
      }
      for (const [key, m] of byValue) {
        margins.push({ dimension: d, key, ...m });
        equations.push({ total: m.item, parts: m.parts });
      }
      equations.push({ total, parts: [...byValue.values()].map((m) => m.item) });
    }
  }
  equations.push({ total, parts: cellItems.map((c) => c.item) });
  suppress([...cellItems.map((c) => c.item), ...margins.map((m) => m.item), total], equations, threshold);

  const keysOf = (r: Cell): Keys => {
    const k: Keys = {};
    for (const d of dims) (k as Record<string, unknown>)[KEY_OF[d]] = r[KEY_OF[d]];
    return k;
  };
  return {
    countingRule: countingRule as CountingRule,
    threshold,
    cells: cellItems.map((c) => ({ ...keysOf(c.row), ...publish(c.item) })),
    margins: margins.map((m) => ({ dimension: m.dimension, [KEY_OF[m.dimension]]: m.key, ...publish(m.item) })),
    total: publish(total),
  };
}
