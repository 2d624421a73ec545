import { z } from 'zod';
import { VALUE_ATTRIBUTES } from '../../application/statistics/csv.js';
import { DIMENSIONS } from '../../domain/statistics.js';
import { CountingRule } from './statistics.js';

const Title = z
  .object({ nl: z.string().meta({ description: 'Dutch.' }), en: z.string().meta({ description: 'English.' }) })
  .meta({ id: 'Title', description: 'A title in Dutch and English.' });

const DimensionCode = z
  .object({
    identifier: z.string().meta({ description: 'The code in observations (CBS style: 2019JJ00, GM0363; T001 is the total).' }),
    value: z
      .union([z.string(), z.number().int()])
      .nullable()
      .meta({ description: 'The same code as this API’s own parameters and fields use (2019, GM0363, licensed); null for the total.' }),
    title: Title,
    programmes: z.array(z.string()).optional().meta({ description: 'Municipalities only: the programmes it takes part in.' }),
    firstYear: z
      .number()
      .int()
      .nullable()
      .optional()
      .meta({ description: 'Municipalities only: the first calendar year it exists (formed on 1 January); null: open.' }),
    lastYear: z
      .number()
      .int()
      .nullable()
      .optional()
      .meta({ description: 'Municipalities only: the last calendar year it exists (merged away at its end); null: open.' }),
  })
  .meta({ id: 'StatisticsDimensionCode' });

const DimensionMetadata = z
  .object({
    identifier: z.string().meta({ description: 'The column in observations (CBS: Perioden, RegioS, …).' }),
    groupBy: z.enum(DIMENSIONS).meta({ description: 'The name of this dimension in groupBy.' }),
    kind: z.enum(['TimeDimension', 'GeoDimension', 'Dimension']).meta({ description: 'As CBS StatLine’s Dimensions.Kind.' }),
    title: Title,
    description: Title,
    codes: z.array(DimensionCode),
  })
  .meta({ id: 'StatisticsDimensionMetadata' });

const MeasureMetadata = z
  .object({
    identifier: z.string().meta({ description: 'The Measure code in observations (CBS: MeasureCodes.Identifier).' }),
    field: z.string().meta({ description: 'The same quantity’s field in /statistics/enforcement-actions.' }),
    title: Title,
    unit: z.enum(['count', 'cent']).meta({ description: 'count: a number of actions; cent: euro cents.' }),
    unitTitle: Title,
    decimals: z.number().int(),
    euro: z
      .object({
        factor: z.number().meta({ description: 'Multiply cents by this to get euros.' }),
        decimals: z.number().int(),
      })
      .nullable()
      .meta({ id: 'StatisticsEuroUnit', description: 'For amounts: how they are shown in euros; null for counts.' }),
  })
  .meta({ id: 'StatisticsMeasureMetadata' });

export const StatisticsMetadata = z
  .object({
    title: Title,
    dimensions: z.array(DimensionMetadata).meta({ description: 'Every dimension with all its codes (CBS: Dimensions and …Codes).' }),
    measureCodes: z.array(MeasureMetadata).meta({ description: 'Every measured quantity with its unit (CBS: MeasureCodes).' }),
    valueAttributes: z
      .array(
        z
          .object({
            identifier: z.enum(VALUE_ATTRIBUTES).meta({
              description:
                'None: a value (0 included); Confidential: withheld to protect small counts; NotReported: the municipality-year did not report.',
            }),
            title: Title,
            symbol: z.string().meta({ description: 'The symbol a printed table shows instead of the value (CBS: x, .).' }),
          })
          .meta({ id: 'StatisticsValueAttribute' }),
      )
      .meta({ description: 'Why a value is what it is, in observations (CBS: ValueAttribute).' }),
    programmes: z.array(z.object({ identifier: z.string(), title: Title }).meta({ id: 'StatisticsProgramme' })),
    countingRule: z
      .object({
        countedStages: z.array(z.string()),
        neverCounted: z.array(z.string()),
        period: z.string(),
        licenceStatus: z.string(),
        zeroCells: z.string(),
        groundRows: z.string(),
        averageDenominator: z.string(),
        finestPeriodForAnalysts: z.string(),
        description: Title,
      })
      .meta({
        id: 'StatisticsCountingRuleData',
        description: 'The default counting rule as data; each answer states the rule it applied.',
      }),
  })
  .meta({ id: 'StatisticsMetadata', description: 'Codes, titles (Dutch and English), units and the counting rule of the statistics.' });

export const OpenObservation = z
  .object({
    id: z.number().int(),
    measure: z.string().meta({ description: 'Handhavingsmaatregelen_1: the number of actions.' }),
    valueAttribute: z.enum(VALUE_ATTRIBUTES).meta({
      description:
        'None: a value (0 included); Confidential: withheld (suppressed); NotReported: not reported (no counted actions and no reporting attestation for the municipality-year).',
    }),
    value: z.number().int().nullable().meta({ description: 'The count; null unless valueAttribute is None.' }),
    Perioden: z.string().optional().meta({ description: 'CBS period code (2019JJ00), or T001 for the total over the years.' }),
    RegioS: z.string().optional().meta({ description: 'CBS municipality code (GM0363), or T001 for the total.' }),
    Vergunningstatus: z.string().optional().meta({ description: 'licensed, unlicensed, or T001.' }),
    Maatregel: z.string().optional().meta({ description: 'A measure code, or T001.' }),
  })
  .meta({ id: 'OpenObservation', description: 'One published value in long format (CBS StatLine observations).' });

export const OpenObservations = z
  .object({ countingRule: CountingRule, threshold: z.number().int(), items: z.array(OpenObservation) })
  .meta({ id: 'OpenObservations', description: 'The open-data table (cells, totals per value, grand total) in long format.' });
