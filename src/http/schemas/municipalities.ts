import { z } from 'zod';
import { PROGRAMMES } from '../../domain/codes.js';
import { codeList, MunicipalityCode, Timestamp, text, Version } from './common.js';
import { pageOf } from './records.js';

export const Programme = codeList('Programme', PROGRAMMES, 'LPP: Landelijk Programma Prostitutie.');

export const Municipality = z
  .object({
    code: MunicipalityCode,
    name: z.string(),
    programmes: z.array(Programme),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: Version,
  })
  .meta({ id: 'Municipality', description: 'A municipality (gemeente), keyed by its CBS code.' });

export const MunicipalityCreate = z
  .strictObject({
    code: MunicipalityCode,
    name: text(1, 100),
    programmes: z
      .array(Programme)
      .max(5)
      .refine((a) => new Set(a).size === a.length, { message: 'must not repeat a programme', params: { rule: 'duplicate' } })
      .meta({ uniqueItems: true })
      .default([]),
  })
  .meta({ id: 'MunicipalityCreate' });

export const MunicipalityPage = pageOf(Municipality, 'MunicipalityPage');
