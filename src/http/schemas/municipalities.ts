import { z } from 'zod';
import { PROGRAMMES } from '../../domain/codes.js';
import { checkMunicipalityYears } from '../../domain/municipalities.js';
import { codeList, MunicipalityCode, Timestamp, text, Version, yearField } from './common.js';
import { pageOf, RecordStamps, revisionBodies } from './records.js';
import { alongsideSchemaIssues } from './rules.js';

export const Programme = codeList('Programme', PROGRAMMES, 'LPP: Landelijk Programma Prostitutie.');

const FIRST_YEAR =
  'The first calendar year the municipality exists: it was formed (e.g. by a merger) on 1 January of this year. Null or absent: it existed before any year the registry counts. The statistics count a municipality only in its own years.';
const LAST_YEAR =
  'The last calendar year the municipality exists: it was merged away on 1 January of the next year. Null or absent: it still exists.';

const Years = {
  firstYear: z.number().int().nullable().meta({ description: FIRST_YEAR }),
  lastYear: z.number().int().nullable().meta({ description: LAST_YEAR }),
};

export const Municipality = z
  .object({
    code: MunicipalityCode,
    name: z.string(),
    programmes: z.array(Programme),
    ...Years,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: Version,
  })
  .meta({ id: 'Municipality', description: 'A municipality (gemeente), keyed by its CBS code.' });

const name = text(1, 100);
const yearFields = {
  firstYear: yearField(FIRST_YEAR).nullable().optional(),
  lastYear: yearField(`${LAST_YEAR} Not before firstYear.`).nullable().optional(),
};

export const MunicipalityCreate = alongsideSchemaIssues(
  z.strictObject({
    code: MunicipalityCode,
    name,
    programmes: z
      .array(Programme)
      .max(5)
      .refine((a) => new Set(a).size === a.length, { message: 'must not repeat a programme', params: { rule: 'duplicate' } })
      .meta({ uniqueItems: true })
      .default([]),
    ...yearFields,
  }),
  checkMunicipalityYears,
).meta({ id: 'MunicipalityCreate' });

/**
 * PUT and PATCH: the name and the years. The code names the municipality; programme membership has
 * no years of its own yet, so changing it would rewrite every period's figures: both are read-only.
 */
export const {
  readOnly: MUNICIPALITY_READ_ONLY,
  Replace: MunicipalityReplace,
  Patch: MunicipalityPatch,
} = revisionBodies({
  id: 'Municipality',
  record: 'a municipality',
  fields: { name, ...yearFields },
  readOnly: { code: MunicipalityCode, programmes: z.array(Programme), ...RecordStamps },
  check: checkMunicipalityYears,
  patch: { name: name.optional(), ...yearFields },
});

export const MunicipalityPage = pageOf(Municipality, 'MunicipalityPage');
