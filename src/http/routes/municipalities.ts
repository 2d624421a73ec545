import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { MunicipalityCode, Pagination } from '../schemas/common.js';
import {
  MUNICIPALITY_READ_ONLY,
  Municipality,
  MunicipalityCreate,
  MunicipalityPage,
  MunicipalityPatch,
  MunicipalityReplace,
  Programme,
} from '../schemas/municipalities.js';
import { operations } from './operations.js';
import { recordRoutes } from './records.js';

const op = operations('Municipalities');

const YEARS_NOTE =
  ' Years that leave out a year in which the municipality has records (enforcement actions, attestations) are refused (409 `records-outside-years`). Requires If-Match.';

/** Gemeenten: reference data every client may read; admins add municipalities beyond the LPP ten and record their years. */
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
        'Adds a Dutch municipality by its CBS code, so its officers can record enforcement actions; firstYear and lastYear say when it was formed and merged away, if it was.',
      ),
      body: MunicipalityCreate,
      more: [409],
      run: (ctx, body) => commands.municipalities.create(ctx, body),
    },
    replace: {
      doc: op(
        'replaceMunicipality',
        'Correct a municipality (gemeente)',
        `Replaces its name and years, for example when it merges: lastYear is its last calendar year. An optional field left out becomes null; code and programmes are read-only.${YEARS_NOTE}`,
      ),
      body: MunicipalityReplace,
      more: [409],
    },
    patch: {
      doc: op(
        'patchMunicipality',
        'Change the name or years of a municipality (gemeente)',
        `JSON Merge Patch (RFC 7396, application/merge-patch+json): only the members sent change, e.g. {"lastYear": 2021} for a municipality merged away on 1 January 2022.${YEARS_NOTE}`,
      ),
      body: MunicipalityPatch,
      more: [409],
    },
    readOnly: MUNICIPALITY_READ_ONLY,
    update: (ctx, { code }, version, revision) => commands.municipalities.replace(ctx, code, version, revision),
  });
};

export default municipalityRoutes;
