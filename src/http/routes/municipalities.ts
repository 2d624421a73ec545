import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { MunicipalityCode, Pagination } from '../schemas/common.js';
import { Municipality, MunicipalityCreate, MunicipalityPage, Programme } from '../schemas/municipalities.js';
import { operations } from './operations.js';
import { recordRoutes } from './records.js';

const op = operations('Municipalities');

/** Gemeenten: reference data every client may read; admins add municipalities beyond the LPP ten. */
const municipalityRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  recordRoutes(app, {
    path: '/municipalities',
    key: 'code',
    params: z.object({ code: MunicipalityCode }),
    record: Municipality,
    access: { read: ['officer', 'analyst', 'admin'], write: ['admin'] },
    list: {
      doc: op('listMunicipalities', 'List municipalities (gemeenten)', 'Ordered by CBS code.'),
      query: Pagination.extend({ programme: Programme.optional().meta({ description: 'Only members of this programme.' }) }),
      page: MunicipalityPage,
      find: (ctx, { programme, ...page }) => queries.municipalities.list(ctx, programme, page),
    },
    read: {
      doc: op('getMunicipality', 'Read a municipality (gemeente)', 'One municipality by its CBS code, with its ETag.'),
      find: (ctx, { code }) => queries.municipalities.get(ctx, code),
    },
    create: {
      doc: op(
        'createMunicipality',
        'Add a municipality (gemeente)',
        'Adds a Dutch municipality by its CBS code, so its officers can record enforcement actions.',
      ),
      body: MunicipalityCreate,
      more: [409],
      run: (ctx, body) => commands.municipalities.create(ctx, body),
    },
  });
};

export default municipalityRoutes;
