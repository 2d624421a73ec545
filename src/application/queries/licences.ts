import { NotFound } from '../../domain/errors.js';
import type { Licence, Page, PageRequest } from '../../domain/records.js';
import { findEstablishment } from '../../infrastructure/repositories/establishments.js';
import { findLicence, listLicences } from '../../infrastructure/repositories/licences.js';
import type { RequestContext } from '../context.js';
import { toLicence } from '../records.js';
import type { Reader } from './read.js';

export function createLicenceQueries(read: Reader) {
  async function list(ctx: RequestContext, establishmentId: string, page: PageRequest): Promise<Page<Licence>> {
    const { rows, totalItems } = await read.one(ctx, async (tx) => {
      if (!(await findEstablishment(tx, ctx.scope, establishmentId))) throw new NotFound(`Establishment ${establishmentId}`);
      return listLicences(tx, ctx.scope, establishmentId, page);
    });
    return { items: rows.map(toLicence), totalItems };
  }

  const get = (ctx: RequestContext, establishmentId: string, licenceId: string): Promise<Licence> =>
    read.record(ctx, `Licence ${licenceId}`, (tx) => findLicence(tx, ctx.scope, establishmentId, licenceId), toLicence);

  return { list, get };
}
