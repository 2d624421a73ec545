import { z } from 'zod';
import { IMPORT_MODES, IMPORT_STATES } from '../../application/transfer/imports.js';
import { RECORD_TYPES } from '../../domain/transfer.js';
import { Id, MunicipalityCode, Timestamp } from './common.js';

export const RecordType = z
  .enum(RECORD_TYPES)
  .meta({ id: 'TransferRecordType', description: 'The kind of record a file holds: establishments, licences or enforcement-actions.' });

export const ExportParams = z.object({ recordType: RecordType });

export const ExportQuery = z
  .object({
    format: z.enum(['csv', 'csv-excel', 'ndjson']).default('csv').meta({
      description:
        'csv: RFC 4180 (comma, CRLF); csv-excel: the dialect Dutch Excel opens directly (semicolon, UTF-8 byte-order mark); ndjson: one JSON object per line.',
    }),
    municipalityCode: MunicipalityCode.optional().meta({
      description: 'The municipality to export: required for admins; an officer may leave it out (their own) or name their own.',
    }),
    municipality: MunicipalityCode.optional().meta({
      description:
        'Deprecated: the former name of municipalityCode, still accepted. Send municipalityCode, as every other operation names it.',
      deprecated: true,
    }),
  })
  .refine((q) => !q.municipality || !q.municipalityCode || q.municipality === q.municipalityCode, {
    message: 'municipality is the deprecated name of municipalityCode: send one of them, not two different codes',
    params: { rule: 'duplicate' },
    path: ['municipality'],
  });

export const TemplateParams = z.object({
  template: z
    .enum(RECORD_TYPES.map((t) => `${t}.csv`) as [string, ...string[]])
    .meta({ description: 'The record type, with `.csv`: establishments.csv, licences.csv or enforcement-actions.csv.' }),
});

export const ImportQuery = z.object({
  recordType: RecordType,
  // true or false as written: not z.stringbool, which also takes yes, on, 1 and enabled (and is documented as any string).
  dryRun: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .meta({ description: 'true: check every record with the API’s rules and report what would happen; nothing is written.' }),
  mode: z.enum(IMPORT_MODES).default('all-or-nothing').meta({
    description:
      'all-or-nothing (default): every record is checked first, and nothing is written when any is rejected; row-by-row: valid records are written, rejected ones reported.',
  }),
});

export const ImportParams = z.object({ id: Id.meta({ description: 'The import job’s id.' }) });

const ImportProblem = z
  .object({
    line: z.number().int().meta({ description: 'The line of the file where the record starts (the CSV header is line 1).' }),
    column: z.string().nullable().meta({ description: 'The column (or NDJSON key) at fault; null when the record as a whole is.' }),
    code: z.string().meta({ description: 'A stable code of the rule that failed (the codes of invalidParams).' }),
    reason: z.string(),
  })
  .meta({ id: 'ImportProblem' });

const ImportChange = z
  .object({
    line: z.number().int().meta({ description: 'The line of the file where the record starts (the CSV header is line 1).' }),
    externalReference: z.string().meta({ description: 'The record’s reference, as the file gives it.' }),
    columns: z
      .array(z.string())
      .meta({ description: 'The columns whose stored value the file changes (or, in a dry run, would change), in the template’s order.' }),
  })
  .meta({
    id: 'ImportChange',
    description: 'A record the import updated, or in a dry run would update: check these before applying a file a spreadsheet has saved.',
  });

export const ImportJob = z
  .object({
    id: Id,
    municipalityCode: MunicipalityCode,
    recordType: RecordType,
    format: z.enum(['csv', 'ndjson']).meta({ description: 'How the file was read: CSV (either dialect) or NDJSON.' }),
    dryRun: z.boolean(),
    mode: z.enum(IMPORT_MODES).meta({
      description:
        'all-or-nothing: every record is checked first, and nothing is written when any is rejected (should the registry change between the check and the writing, a record refused then stops the import: its batch is not written, the batches before it stay); row-by-row: valid records are written, rejected ones reported.',
    }),
    state: z.enum(IMPORT_STATES).meta({
      description:
        'queued → running → succeeded | failed | cancelled; a running import resumes after a restart or a database interruption. failed: all-or-nothing with records rejected by its check (nothing written), a record refused while writing after the check, or an internal error (problem internal_error); in the last two the batches committed before stay, and counts say what they wrote.',
    }),
    phase: z
      .enum(['validating', 'applying'])
      .nullable()
      .meta({ description: 'While running: validating (nothing is kept) or applying (each batch commits).' }),
    rowsTotal: z.number().int(),
    rowsDone: z.number().int(),
    counts: z
      .object({
        created: z.number().int().meta({ description: 'Records the file adds (in a dry run: would add).' }),
        updated: z.number().int().meta({ description: 'Records it changes: a replace at their current version.' }),
        unchanged: z.number().int().meta({ description: 'Records it has with the same values: not touched.' }),
        rejected: z.number().int().meta({ description: 'Records refused, each with its problems.' }),
      })
      .meta({ id: 'ImportCounts', description: 'What the import did with the records so far, or in a dry run would do.' }),
    problems: z.array(ImportProblem).meta({ description: 'The problems found, at most 1000; problemsTotal counts them all.' }),
    problemsTotal: z.number().int(),
    changes: z.array(ImportChange).meta({
      description: 'The records updated (in a dry run: that would be), in file order, at most 1000; counts.updated counts them all.',
    }),
    cancelRequested: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    finishedAt: Timestamp.nullable(),
  })
  .meta({ id: 'ImportJob', description: 'A bulk import: its progress while it runs, its result when it is done.' });

export const FileBody = z.string().meta({ description: 'The file: CSV (header line first) or NDJSON.' });
export const TemplateBody = z.string().meta({ description: 'The header line and one example record, as RFC 4180 CSV.' });
