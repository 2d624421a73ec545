import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { z } from 'zod';
import type { DecodedRow } from '../application/transfer/imports.js';
import type { InvalidParam } from '../domain/errors.js';
import { personalDataIn } from '../domain/personal-data.js';
import { COLUMNS, columnOf, KEEP_IF_ABSENT, LIST_SEPARATOR, REQUIRED_COLUMNS, type RecordType, TEXT_COLUMNS } from '../domain/transfer.js';
import { SPREADSHEET_ERROR, unprotectErrorValue, unprotectFormula } from '../lib/csv.js';
import { isIsoDate } from '../lib/dates.js';
import { REPEATED_MEMBER, repeatedMembers } from '../lib/json.js';
import { hasControlCharacter, hasLoneSurrogate } from '../lib/text.js';
import { firstInvalidUtf8Byte, lastCharacterStart, lineBreaks, looksLikeMisreadUtf8 } from '../lib/utf8.js';
import { ABSENT_CODES, HttpProblem } from './problem.js';
import { ExternalReference } from './schemas/common.js';
import { EnforcementActionInput } from './schemas/enforcement-actions.js';
import { EstablishmentInput } from './schemas/establishments.js';
import { LicenceInput } from './schemas/licences.js';

/**
 * Reading an uploaded import file (docs/import-export.md): the bytes as UTF-8 (strictly), then CSV
 * (RFC 4180, or Dutch Excel's `;` with a byte-order mark: the separator is read from the header
 * line) or NDJSON, one record at a time, each decoded against the API's own write schema. Nothing
 * is held but the record in hand. A problem with the file as a whole (encoding, header, size,
 * syntax) is an HttpProblem; a problem with one record is reported with its line.
 */

/** How a problem names an unknown NDJSON key that holds personal data: the key itself is not stored. */
const WITHHELD_KEY = '(a key that holds personal data)';
/** Longer unknown keys are named by their length only: the stored problem stays small. */
const LONGEST_KEY = 100;

export type FileFormat = 'csv' | 'ndjson';

/** A stand-in establishment id while a record's establishmentReference is not resolved yet (the worker does that). */
const UNRESOLVED = '00000000-0000-4000-8000-000000000000';

const fileProblem = (status: number, code: string, detail: string, invalidParams?: InvalidParam[]) =>
  new HttpProblem({ status, code, detail, ...(invalidParams ? { invalidParams } : {}) });

/**
 * The body as UTF-8 text, a chunk at a time; invalid UTF-8 or more than `limit` bytes stop it. The
 * BOM is dropped. Invalid UTF-8 is reported with the line and byte where it starts, so an officer
 * can find the character (typically an é saved as Windows-1252).
 */
async function* utf8(body: AsyncIterable<Buffer>, limit: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  let lineBreaksBefore = 0;
  let lastByte: number | undefined; // of the chunks so far: a CR there and an LF next are one line end
  // The bytes of the last character read so far, which the decoder may still hold unfinished; at
  // most four, and they may come from more than one chunk (a client decides where its chunks end).
  let carried: Uint8Array = new Uint8Array(0);
  for await (const chunk of body) {
    const at = bytes;
    bytes += chunk.length;
    if (bytes > limit) throw fileProblem(413, 'payload-too-large', `An import file may have at most ${limit} bytes.`);
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      // The decoder may hold the start of a character from before this chunk: look from there.
      const window = Buffer.concat([carried, chunk]);
      const offset = Math.max(firstInvalidUtf8Byte(window), 0);
      // What of `carried` lies at or after `offset` belongs to the broken character: no line end there.
      const line = lineBreaksBefore + lineBreaks(chunk, 0, Math.max(offset - carried.length, 0), lastByte) + 1;
      const byte = at - carried.length + offset;
      throw fileProblem(
        400,
        'invalid-encoding',
        `The file is not valid UTF-8 at line ${line} (byte offset ${byte}: 0x${(window[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0')}). Save it as UTF-8 (in Excel: "CSV UTF-8 (comma delimited)").`,
      );
    }
    lineBreaksBefore += lineBreaks(chunk, 0, chunk.length, lastByte);
    lastByte = chunk.at(-1) ?? lastByte;
    const end = chunk.length >= 4 ? chunk.subarray(chunk.length - 4) : Buffer.concat([carried, chunk]);
    carried = end.subarray(lastCharacterStart(end));
    yield text;
  }
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch {
    throw fileProblem(400, 'invalid-encoding', 'The file is not valid UTF-8: it ends inside a character.');
  }
}

/** `;` when the header line has more semicolons than commas (Dutch Excel), else `,`. */
export function separatorOf(headerLine: string): ',' | ';' {
  const count = (c: string) => headerLine.split(c).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

/**
 * Checks a header: every column known, none twice, and every column of the template there, optional
 * ones too: an update replaces the record with the file's row, so a column left out would clear what it
 * holds (an empty cell in a column that is there is how a file clears a value). Every fault listed.
 */
function checkHeader(type: RecordType, header: string[]): void {
  const known = new Set<string>(COLUMNS[type]);
  const issues: InvalidParam[] = [];
  const seen = new Set<string>();
  for (const h of header) {
    if (!known.has(h)) issues.push({ name: h || '(empty)', code: 'unknown_column', reason: `not a column of ${type}` });
    else if (seen.has(h)) issues.push({ name: h, code: 'duplicate_column', reason: 'this column appears twice' });
    seen.add(h);
  }
  for (const c of COLUMNS[type]) {
    if (seen.has(c) || KEEP_IF_ABSENT[type].includes(c)) continue;
    const reason = REQUIRED_COLUMNS[type].includes(c)
      ? 'this column is required'
      : 'this column must be there, empty where there is no value: an update replaces the whole record';
    issues.push({ name: c, code: 'missing_column', reason });
  }
  if (issues.length > 0) {
    throw fileProblem(
      400,
      'invalid-header',
      `The header line of this ${type} file has ${issues.length} problem(s); see invalidParams. The template at /v1/imports/templates/${type}.csv lists every column.`,
      issues,
    );
  }
}

interface RawRecord {
  line: number;
  values: Record<string, unknown>;
  problems: DecodedRow['problems'];
}

async function* csvRecords(text: AsyncGenerator<string>, type: RecordType): AsyncGenerator<RawRecord> {
  // Read up to the end of the header line (LF, CRLF or a lone CR) to see its separator: each chunk
  // is looked at once, and a file of CR line ends is not read whole before its first record.
  let head = '';
  let next = await text.next();
  while (!next.done) {
    head += next.value;
    if (/[\r\n]/.test(next.value)) break;
    next = await text.next();
  }
  if (head.trim() === '') throw fileProblem(400, 'empty-file', 'The file is empty: it needs at least a header line.');
  const headerLine = head.split(/\r|\n/, 1)[0] ?? '';
  const delimiter = separatorOf(headerLine);
  const count = (c: string) => headerLine.split(c).length - 1;
  // Excel's "Text (tab delimited)": said as such, not as one unknown column or a quote error further on.
  if (count('\t') > count(delimiter)) {
    throw fileProblem(
      400,
      'invalid-header',
      `The header line is separated by tabs: this file is tab-delimited text, which is not read here. Save it as CSV (in Excel: "CSV UTF-8"), or use the template at /v1/imports/templates/${type}.csv.`,
      [{ name: 'header', code: 'tab_separated', reason: 'columns are separated by tabs; use commas or semicolons (CSV)' }],
    );
  }
  async function* rest() {
    yield head;
    for await (const chunk of text) yield chunk;
  }
  let lastEnd = 0;
  // A line of empty cells only (`;;;;`, which Excel writes for cleared rows below the data) is an empty line.
  const parser = parse({
    delimiter,
    // Every line end, in any mix (a header typed on one system above rows pasted from another): csv-parse
    // would otherwise take the first one it meets for the whole file.
    record_delimiter: ['\r\n', '\n', '\r'],
    // The line the last record parsed ended on (csv-parse's count), as it is parsed: a quote left open began after it.
    on_record: (record, context) => {
      lastEnd = context.lines;
      return record;
    },
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    info: true,
    raw: true,
  });
  const source = Readable.from(rest());
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  let header: string[] | null = null;
  let padding = 0;
  // csv-parse counts the line where a record ends (info.lines), but counts a CRLF inside a quoted
  // field twice; so: its count, less those CRLFs so far, less the line breaks inside the record.
  let doubleCounted = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
      const { record, info, raw } = item;
      doubleCounted += raw.match(/\r\n/g)?.length ?? 0;
      const inside =
        raw
          .replace(/^[\r\n]+/, '')
          .replace(/(\r\n|\r|\n)$/, '')
          .match(/\r\n|\r|\n/g)?.length ?? 0;
      const line = info.lines - doubleCounted - inside;
      if (!header) {
        const names = record.map((h) => h.trim());
        // Empty cells after the last named one are no column: the separator a spreadsheet writes at the end
        // of every line once a cell right of the data was used. The records' cells under them must be empty.
        header = names.slice(0, names.findLastIndex((h) => h !== '') + 1);
        padding = names.length - header.length;
        checkHeader(type, header);
        continue;
      }
      // A line of cells with spaces only is an empty line, as `;;;;` is (csv-parse skips only truly empty cells).
      if (record.every((v) => v.trim() === '')) continue;
      const values: Record<string, unknown> = {};
      const problems: NonNullable<DecodedRow['problems']> = [];
      header.forEach((h, i) => {
        const v = record[i];
        // A cell of spaces only is an empty cell: what a spreadsheet leaves where a value was typed away.
        const empty = v === undefined || v.trim() === '';
        if (KEEP_IF_ABSENT[type].includes(h) && empty) values[h] = null; // there, and empty: clears
        if (empty) return;
        // Spaces around a code, number, date or link are a padded export's (fixed-width columns), not part of the value.
        values[h] = TEXT_COLUMNS.has(h) ? unprotectFormula(v) : unprotectErrorValue(v.trim());
        if (looksLikeMisreadUtf8(v)) problems.push({ column: h, code: 'garbled_text', reason: GARBLED });
        if (SPREADSHEET_ERROR.test(v.trim())) problems.push({ column: h, code: 'spreadsheet_error', reason: SPREADSHEET_ERROR_REASON });
      });
      // As many fields as the header, or more where it had empty trailing cells, those left empty.
      const extra = record.slice(header.length);
      if (record.length < header.length || extra.length > padding || extra.some((v) => v.trim() !== '')) {
        const width = padding > 0 ? `${header.length} named columns` : `the header ${header.length}`;
        problems.unshift({ column: null, code: 'wrong_field_count', reason: `this record has ${record.length} fields, ${width}` });
      }
      yield { line, values, problems: problems.length > 0 ? problems : null };
    }
  } catch (err) {
    if (err instanceof HttpProblem) throw err;
    if (err instanceof CsvError) {
      // Every parse error is the file's (INVALID_OPENING_QUOTE too, the one code without CSV_). Said in
      // words of our own: csv-parse's messages quote the file (a field's value, the character after a quote).
      const why = CSV_ERRORS[err.code] ?? 'the parser stopped here';
      // An open quote runs to the end of the file, where the parser notices: name the record it began in.
      const where =
        err.code === 'CSV_QUOTE_NOT_CLOSED' ? `in the record that starts after line ${lastEnd}` : `near line ${err.lines ?? '?'}`;
      throw fileProblem(400, 'malformed-csv', `The file is not valid CSV ${where}: ${why} (${err.code}).`);
    }
    throw err;
  }
  if (!header) throw fileProblem(400, 'empty-file', 'The file is empty: it needs at least a header line.');
}

const SPREADSHEET_ERROR_REASON =
  'this is the error value a spreadsheet shows for a formula that failed (such as #NAAM?), not a value: put the value itself in the cell, as text';

const GARBLED =
  'this looks like UTF-8 text read as Windows-1252 ("CafÃ©" for "Café"): the file was opened in a program that did not read it as UTF-8. Export it again with format=csv-excel (which Excel reads as UTF-8) and edit that, or open the file as UTF-8 (in Excel: Data > From Text/CSV, file origin 65001: Unicode (UTF-8))';

/** What csv-parse's errors mean, without its messages (they quote the file). */
const CSV_ERRORS: Partial<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by something other than a separator or a line end',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by something other than a separator or a line end',
  INVALID_OPENING_QUOTE: 'a quote inside a field that does not start with one (double it, and quote the field)',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'a record has another number of fields than the header',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'a record has another number of fields than the header',
  CSV_MAX_RECORD_SIZE: 'a record is too long',
};

/**
 * Why a line is not JSON, without the line: V8's "Unexpected token 'J', "{"name": Jan de Vri"... is
 * not valid JSON" quotes the record, and a job keeps its problems after its file is deleted (and a NUL
 * quoted there could not be stored). Its other messages name a position only, and stay.
 */
const jsonSyntaxReason = (err: Error) => (/ is not valid JSON$/.test(err.message) ? 'Unexpected character: not valid JSON' : err.message);

async function* ndjsonRecords(text: AsyncGenerator<string>, type: RecordType): AsyncGenerator<RawRecord> {
  const known = new Set<string>(COLUMNS[type]);
  // The line read so far, as the pieces of the chunks it came in: a chunk is searched for a line end
  // once, never the whole line again, so a long line costs time linear in its length.
  let pending: string[] = [];
  let lineNo = 0;
  function* lines(chunk: string) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      pending.push(chunk.slice(start, nl));
      yield pending.join('');
      pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.slice(start));
  }
  let records = 0;
  function toRecord(l: string): RawRecord | null {
    lineNo += 1;
    if (l.trim() === '') return null;
    records += 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(l);
    } catch (err) {
      return { line: lineNo, values: {}, problems: [{ column: null, code: 'invalid_json', reason: jsonSyntaxReason(err as Error) }] };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { line: lineNo, values: {}, problems: [{ column: null, code: 'invalid_json', reason: 'each line must be one JSON object' }] };
    }
    // A key is named in the record's problem, which is stored (jsonb): its control characters (a NUL
    // above all) and half surrogate pairs (JSON can escape one), which PostgreSQL cannot store, are
    // shown as U+FFFD; a key that holds personal data
    // (domain/personal-data.ts) is not repeated at all, nor is a key longer than any column name.
    const unknown = Object.keys(parsed)
      .filter((k) => !known.has(k))
      .map((k) =>
        k.length > LONGEST_KEY
          ? `(a key of ${k.length} characters)`
          : personalDataIn(k)
            ? WITHHELD_KEY
            : [...k].map((c) => (hasControlCharacter(c) || hasLoneSurrogate(c) ? '\uFFFD' : c)).join(''),
      );
    const values = Object.fromEntries(
      Object.entries(parsed)
        .filter(([k, v]) => known.has(k) && ((v !== null && v !== '') || KEEP_IF_ABSENT[type].includes(k)))
        .map(([k, v]) => [k, v === '' ? null : v]), // a key kept if absent, there and empty: clears
    );
    // A member named twice: the line is rejected, whatever else it holds (JSON.parse kept the last value).
    // Named by its column when it is one: any other key is not repeated in a stored problem, as above.
    const repeated = repeatedMembers(l);
    const problems = [
      ...repeated.filter((k) => known.has(k)).map((k) => ({ column: k, code: 'repeated_member', reason: REPEATED_MEMBER })),
      ...(repeated.some((k) => !known.has(k)) ? [{ column: null, code: 'repeated_member', reason: REPEATED_MEMBER }] : []),
      ...unknown.map((k) => ({ column: k, code: 'unknown_column', reason: `not a column of ${type}` })),
    ];
    return { line: lineNo, values, problems: problems.length > 0 ? problems : null };
  }
  for await (const chunk of text) {
    for (const l of lines(chunk)) {
      const r = toRecord(l);
      if (r) yield r;
    }
  }
  if (pending.length > 0) {
    const r = toRecord(pending.join(''));
    if (r) yield r;
  }
  if (!records) throw fileProblem(400, 'empty-file', 'The file is empty: it needs at least one record, one JSON object a line.');
}

/** A number cell: digits become a number; anything else stays as it is, for the schema to name. */
const num = (v: unknown) => (typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : v);
const list = (v: unknown) => (typeof v === 'string' ? v.split(LIST_SEPARATOR).map((s) => s.trim()) : v);
const history = (v: unknown) =>
  typeof v === 'string'
    ? v.split(LIST_SEPARATOR).map((item) => {
        // `status:date`; anything after a second colon stays in the date, for the schema to refuse.
        const [status, ...date] = item.trim().split(':');
        return { status, effectiveDate: date.length > 0 ? date.join(':') : undefined };
      })
    : v;
const optional = (v: unknown) => (v === undefined ? null : v);

/** The body the API would be sent for this record (and the establishment it refers to). */
function candidate(type: RecordType, v: Record<string, unknown>, municipalityCode: string) {
  if (type === 'establishments') {
    return {
      input: {
        municipalityCode: v.municipalityCode ?? municipalityCode,
        name: v.name,
        kind: v.kind,
        address: {
          street: v.street,
          houseNumber: num(v.houseNumber),
          houseNumberAddition: optional(v.houseNumberAddition),
          postalCode: v.postalCode,
          city: v.city,
        },
        kvkNumber: optional(v.kvkNumber),
        bagId: optional(v.bagId),
        externalReference: v.externalReference,
      },
    };
  }
  if (type === 'licences') {
    return {
      establishmentReference: v.establishmentReference,
      input: {
        licenceNumber: v.licenceNumber,
        validFrom: v.validFrom,
        validUntil: optional(v.validUntil),
        statusHistory: history(v.statusHistory),
        externalReference: v.externalReference,
      },
    };
  }
  const has = (...keys: string[]) => keys.some((k) => v[k] !== undefined);
  return {
    establishmentReference: v.establishmentReference,
    input: {
      establishmentId: UNRESOLVED,
      measure: v.measure,
      grounds: list(v.grounds),
      stage: v.stage,
      decisionDate: v.decisionDate,
      fine: has('fineAmountCents') ? { amountCents: num(v.fineAmountCents) } : null,
      penalty: has('penaltyAmountCents', 'penaltyUnit', 'penaltyMaximumCents', 'penaltyComplianceDeadline', 'penaltyForfeitedCents')
        ? {
            amountCents: num(v.penaltyAmountCents),
            unit: v.penaltyUnit,
            maximumCents: num(v.penaltyMaximumCents),
            complianceDeadline: v.penaltyComplianceDeadline,
            ...(v.penaltyForfeitedCents !== undefined ? { forfeitedCents: num(v.penaltyForfeitedCents) } : {}),
          }
        : null,
      closure: has('closureStartDate', 'closureEndDate') ? { startDate: v.closureStartDate, endDate: optional(v.closureEndDate) } : null,
      legalBasis: optional(v.legalBasis),
      caseReference: optional(v.caseReference),
      // Left out of the file: no key, and the import keeps the stored link (KEEP_IF_ABSENT).
      ...('zaakUrl' in v ? { zaakUrl: v.zaakUrl } : {}),
      ...('besluitUrl' in v ? { besluitUrl: v.besluitUrl } : {}),
      externalReference: v.externalReference,
    },
  };
}

const SCHEMAS: Record<RecordType, z.ZodType> = {
  establishments: EstablishmentInput,
  licences: LicenceInput,
  'enforcement-actions': EnforcementActionInput,
};

/** One raw record → what the import stores: the accepted body, or every problem the schema found. */
export function decodeRecord(type: RecordType, raw: RawRecord, municipalityCode: string): DecodedRow {
  const problems = [...(raw.problems ?? [])];
  // A line that is not a JSON object has no values to check: its one problem says so.
  if (problems.some((p) => p.code === 'invalid_json')) return { line: raw.line, data: null, problems };
  const { input, establishmentReference } = candidate(type, raw.values, municipalityCode);
  const noReference =
    establishmentReference === undefined ||
    establishmentReference === null ||
    (typeof establishmentReference === 'string' && establishmentReference.trim() === '');
  if (type !== 'establishments' && noReference) {
    problems.push({ column: 'establishmentReference', code: 'required', reason: 'the reference of the establishment is required' });
  } else if (type !== 'establishments') {
    // A reference has the form of an externalReference (a registry id has it too), and is text (an NDJSON
    // number or list is `invalid_type`); checked here, as the record's own, so that no other text is
    // stored with the job or looked up.
    const reference = ExternalReference.safeParse(establishmentReference);
    if (!reference.success) {
      for (const issue of reference.error.issues)
        problems.push({ column: 'establishmentReference', code: issue.code, reason: issue.message });
    }
  }
  if (input.externalReference === undefined) {
    problems.push({ column: 'externalReference', code: 'required', reason: 'every record needs its own reference' });
  }
  const parsed = SCHEMAS[type].safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.');
      if (name === 'externalReference' && input.externalReference === undefined) continue; // said above
      const rule = (issue as { params?: { rule?: unknown } }).params?.rule;
      // An empty cell where a value is required: `required`, as for the references, not zod's "received undefined".
      const value = valueAt(input, issue.path);
      if (ABSENT_CODES.has(issue.code) && value === undefined) {
        problems.push({ column: columnOf(type, name), code: 'required', reason: 'a value is required' });
        continue;
      }
      // A number cell that is not digits (what a spreadsheet makes of a number: 1,5E+05, 1.500, € 1.500,00).
      if (issue.code === 'invalid_type' && issue.expected === 'number' && typeof value === 'string') {
        const column = columnOf(type, name);
        problems.push({ column, code: 'invalid_type', reason: notDigits(column, value) });
        continue;
      }
      problems.push({
        column: columnOf(type, name),
        code: issue.code === 'custom' && typeof rule === 'string' ? rule : issue.code,
        reason: issue.message + dutchDateHint(issue.code, value),
      });
    }
  }
  if (problems.length > 0) return { line: raw.line, data: null, problems };
  const data = parsed.data as Record<string, unknown>;
  return {
    line: raw.line,
    data: establishmentReference === undefined ? { input: data } : { input: data, establishmentReference: String(establishmentReference) },
    problems: null,
  };
}

/**
 * A date as a Dutch spreadsheet writes it (day-month-year: 1-3-2021) is not guessed at; the reason
 * says which date to write, should that be the one meant.
 */
function dutchDateHint(code: string, value: unknown): string {
  if (code !== 'invalid_format' || typeof value !== 'string') return '';
  const m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(value.trim());
  if (!m) return '';
  const [day, month, year] = [Number(m[1]), Number(m[2]), m[3]];
  const iso = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return isIsoDate(iso) ? ` (if ${value.trim()} is day-month-year, as a Dutch spreadsheet writes it: ${iso})` : '';
}

/** Why a number cell is not a number, in the words of its column (an amount, a house number, another). */
function notDigits(column: string | null, value: string): string {
  if (/^-?\d+$/.test(value.trim())) return 'must be a whole number of at most 15 digits';
  const what = 'must be a whole number in digits only: no separators, decimals, spaces or currency';
  if (column?.endsWith('Cents')) return `${what} (amounts are in euro cents: 150000 for € 1.500,00)`;
  if (column === 'houseNumber') return `${what}; a letter or an addition (12A, 12-3) goes in houseNumberAddition`;
  return what;
}

/** The value at `path` in a candidate record (undefined where nothing is). */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/**
 * More records than this refused as they are read, and the upload is a 400 that stores nothing: a
 * file of another type, or of no records at all, whose every short line would otherwise be kept with
 * its problems (a 2-byte line makes a 700-byte rejected record: 200 MB of them, 70 GB). A job shows
 * its first 1000 problems anyway.
 */
export const MOST_INVALID_RECORDS = 10_000;

/** The decoded records of an uploaded file, one at a time. */
export async function* decodeUpload(
  body: AsyncIterable<Buffer>,
  format: FileFormat,
  type: RecordType,
  municipalityCode: string,
  limitBytes: number,
): AsyncGenerator<DecodedRow> {
  const text = utf8(body, limitBytes);
  const records = format === 'csv' ? csvRecords(text, type) : ndjsonRecords(text, type);
  const invalid = new InvalidRecords();
  for await (const raw of records) {
    const row = decodeRecord(type, raw, municipalityCode);
    if (row.problems) invalid.add(row);
    yield row;
  }
}

/** Kinds of problem told apart for that 400; more (an NDJSON file's every key its own column) are counted as one. */
const MOST_PROBLEM_KINDS = 100;

/** The records an upload refused so far, and their problems by column and code (for the 400 that too many of them make). */
class InvalidRecords {
  private count = 0;
  private readonly kinds = new Map<string, { n: number; line: number }>();

  add(row: DecodedRow) {
    this.count += 1;
    for (const p of row.problems ?? []) {
      let kind = `${p.column ?? 'record'} ${p.code}`;
      if (!this.kinds.has(kind) && this.kinds.size >= MOST_PROBLEM_KINDS) kind = 'other problems';
      const seen = this.kinds.get(kind);
      if (seen) seen.n += 1;
      else this.kinds.set(kind, { n: 1, line: row.line });
    }
    if (this.count > MOST_INVALID_RECORDS) throw this.problem();
  }

  private problem() {
    const common = [...this.kinds.entries()]
      .sort((a, b) => b[1].n - a[1].n || a[1].line - b[1].line)
      .slice(0, 5)
      .map(([kind, { n, line }]) => `${kind} (${n} times, first on line ${line})`);
    return fileProblem(
      400,
      'too-many-invalid-records',
      `More than ${MOST_INVALID_RECORDS} records of this file are invalid, so it was not stored; is it a file of this recordType? The most common problems: ${common.join('; ')}. A dry run of the file's first records shows each of their problems.`,
    );
  }
}
