import { z } from 'zod';
import { type PersonalDataKind, personalDataIn, personalDataInUrl } from '../../domain/personal-data.js';
import { DATE_FLOOR, DATE_HORIZON, isPlausibleDate, YEAR_FLOOR, YEAR_HORIZON } from '../../lib/dates.js';
import { hasControlCharacter, hasLoneSurrogate, hasVisibleCharacter } from '../../lib/text.js';

export const MunicipalityCode = z
  .string()
  .regex(/^GM[0-9]{4}$/, 'must be a CBS municipality code: GM followed by four digits')
  .meta({ description: 'CBS gemeentecode, for example GM0363 (Amsterdam).', example: 'GM0363' });

/** Dates and timestamps as the registry answers them (stored data is shown as it is). */
export const IsoDate = z.iso.date({ error: 'must be a calendar date as YYYY-MM-DD, a day that exists, for example 2021-03-01' });
export const Timestamp = z.iso.datetime({ offset: false });
/**
 * A UUID, in any case (RFC 9562 §4: compared case-insensitively), lower-cased as the registry
 * stores and answers it: `/establishments/ABC…` finds the record and its trail alike.
 */
export const Id = z.uuid().overwrite((s) => s.toLowerCase());

/** A UUID's text, in any case (no anchors): to find ids in a path or tell a record id from a code. */
export const UUID_TEXT = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const RANGE_NOTE = `Between ${DATE_FLOOR} and ${DATE_HORIZON}.`;
const outOfRange = { message: `must be between ${DATE_FLOOR} and ${DATE_HORIZON}`, params: { rule: 'out_of_range' } };
// A value that is not a date at all fails its format already; only well-formed ones are judged here.
const plausible = (s: string) => !/^\d{4}-\d{2}-\d{2}/.test(s) || isPlausibleDate(s);

/**
 * Every date a client sends (body, query filter), defined once: ISO 8601 and within the plausible
 * range (src/lib/dates.ts; docs/api.md "Dates"), else invalidParams code `out_of_range`.
 */
export const dateInput = (description = '') =>
  IsoDate.refine(plausible, outOfRange).meta({ description: `${description} ${RANGE_NOTE}`.trim() });

/** A timestamp a client sends (the audit search), within the same range. */
export const timestampInput = (description = '') =>
  Timestamp.refine(plausible, outOfRange).meta({ description: `${description} ${RANGE_NOTE}`.trim() });

/**
 * A whole number in a query or path: decimal digits, with a minus sign at most. Anything else
 * (`0x10`, `1e1`, `+2`, ` 2`, `2.0`, a repeated key) stays as sent, for `schema` to refuse;
 * z.coerce would read each of them as some number.
 */
export const wholeNumberParam = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v), schema);

/** A year a client sends in a body (an attestation): the years of the plausible date range, else `out_of_range`. */
export const yearField = (description: string) =>
  z
    .number()
    .int()
    .refine((y) => y >= YEAR_FLOOR && y <= YEAR_HORIZON, {
      message: `must be a year from ${YEAR_FLOOR} to ${YEAR_HORIZON}`,
      params: { rule: 'out_of_range' },
    })
    .meta({ description, minimum: YEAR_FLOOR, maximum: YEAR_HORIZON });

/** A year a client sends in a query (statistics filters), within the same years. */
export const yearInput = (description: string) => wholeNumberParam(yearField(description));

/** The same rule for the document, so that generated clients can check it too. */
const NO_CONTROL_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$';

// Not `abort: true`: that would stop the body's cross-field rules too (rules.ts), hiding their issues.
const noControl = {
  message: 'must not contain control characters (U+0000–U+001F, U+007F–U+009F) or line separators (U+2028, U+2029)',
  params: { rule: 'control_character' },
};

/** A check of a text's length runs only when its characters are fine: no "too short" beside the one thing to fix. */
const charactersFine = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };
// zod runs `when` for any check; its types let only refinements name it.
const lengthParams = charactersFine as { message?: string };

const wellFormed = {
  message: 'must be well-formed Unicode: a lone surrogate (half of a UTF-16 pair) cannot be stored',
  params: { rule: 'invalid_unicode' },
  ...charactersFine,
};

/**
 * Free text a client sends (a name, a street, a legal basis, a search term, a header the service
 * stores), defined once: no control characters (invalidParams code `control_character`) and no lone
 * surrogates (`invalid_unicode`), then trimmed and composed (Unicode NFC, so that `é` typed one way or
 * the other is one value), then between `min` and `max` characters, and when required at least one of
 * them visible (a zero-width space alone is `too_small`).
 */
export const text = (min: number, max: number) => {
  const sized = oneLine().trim().normalize('NFC').min(min, lengthParams).max(max, lengthParams);
  if (min < 1) return sized;
  return sized.refine(hasVisibleCharacter, {
    message: 'must hold at least one visible character',
    params: { rule: 'too_small' },
    ...charactersFine,
  });
};

/**
 * Free text the registry keeps about records and their changes (a legal basis, a statement, a
 * reason, a description): text() that holds no e-mail address, mobile number or BSN
 * (src/domain/personal-data.ts; invalidParams code `personal_data`).
 */
export const prose = (min: number, max: number) => withoutPersonalData(text(min, max));

/** The personal-data rule of prose() for a string kept as sent (a header); `judge` reads it as text, or as a link. */
const withoutPersonalData = <T extends z.ZodType<string>>(schema: T, judge: (value: string) => PersonalDataKind | null = personalDataIn) =>
  schema.superRefine((value, ctx) => {
    const kind = judge(value);
    if (kind) {
      ctx.addIssue({
        code: 'custom',
        message: `looks like it holds personal data (${kind}); the registry keeps none: leave it out`,
        params: { rule: 'personal_data' },
      });
    }
  }, charactersFine);

/**
 * A link the service keeps as sent (a ZGW link, a callback URL): no e-mail address, mobile number or
 * BSN in its path, query or fragment (personalDataInUrl in src/domain/personal-data.ts; invalidParams
 * code `personal_data`), checked once the link is otherwise fine.
 */
export const withoutPersonalDataInLink = <T extends z.ZodType<string>>(schema: T) => withoutPersonalData(schema, personalDataInUrl);

/**
 * A string a client sends that the service keeps as it is (a URL, a header it stores): no control
 * characters (invalidParams code `control_character`), not trimmed.
 */
export const oneLine = () => storable(z.string());

/**
 * The text rules of oneLine() for a string schema of another kind (a URL): no control characters,
 * no lone surrogates, each with its code.
 */
export const storable = <T extends z.ZodString | z.ZodURL>(schema: T) =>
  schema
    .refine((s) => !hasControlCharacter(s), noControl)
    .refine((s) => !hasLoneSurrogate(s), wellFormed)
    .meta({ pattern: NO_CONTROL_PATTERN });

/** The municipality's own reference of a record (import/export), unique per municipality and record type. */
export const ExternalReference = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'must be 1 to 100 letters, digits, dots, colons, dashes or slashes')
  .meta({
    description:
      'The municipality’s own reference of this record (for example its number in the case system), unique per municipality and record type; imports find records by it. Never personal data.',
    example: 'INR-2019-0042',
  });

export const InvalidParam = z
  .object({
    name: z
      .string()
      .meta({ description: 'The invalid input: a body path such as `penalty.maximumCents`, or a query, path or header name.' }),
    code: z.string().meta({ description: 'A stable, machine-readable code of the rule that failed.' }),
    reason: z.string().meta({ description: 'What is wrong, in words.' }),
  })
  .meta({ id: 'InvalidParam' });

export const Problem = z
  .object({
    type: z.string().meta({ description: 'A URN naming the kind of problem.' }),
    title: z.string(),
    status: z.number().int().min(100).max(599).meta({ example: 400 }),
    detail: z.string(),
    instance: z.string().meta({ description: 'The request path and request id of this occurrence.' }),
    code: z.string().meta({ description: 'The problem kind in short, the last part of `type`.' }),
    invalidParams: z.array(InvalidParam).optional(),
  })
  .meta({
    id: 'Problem',
    description: 'An error, as application/problem+json (RFC 9457).',
  });

export const Pagination = z.object({
  page: wholeNumberParam(z.number().int().min(1).max(1_000_000).default(1)).meta({ description: 'The page to return, 1-based.' }),
  pageSize: wholeNumberParam(z.number().int().min(1).max(100).default(20)).meta({ description: 'Items per page, at most 100.' }),
});

export const PageMeta = {
  page: z.number().int(),
  pageSize: z.number().int(),
  totalItems: z.number().int(),
  totalPages: z.number().int(),
};

export const Version = z.number().int().min(1).meta({
  description: 'Increases by one with every change. The ETag is this number in double quotes (version 3: `"3"`): send that in If-Match.',
});

// Its length is checked after trimming and NFC, as it is stored (plugins/auth.ts): at most 500 are kept.
export const AuditReasonHeader = withoutPersonalData(oneLine().trim().normalize('NFC').max(500, lengthParams)).meta({
  description:
    'Why this change is made; stored in the audit trail, trimmed and composed (NFC) as other text is; blank, or only invisible characters, is no reason. No personal data: text that looks like an e-mail address, a mobile number or a BSN is refused.',
});

/** The same header where a change needs a reason (a delete): at least one visible character. */
export const RequiredAuditReasonHeader = AuditReasonHeader.refine(hasVisibleCharacter, {
  message: 'must say why; a blank reason (spaces or invisible characters only) is no reason',
  params: { rule: 'too_small' },
  ...charactersFine,
});

/** A code list of the contract (src/domain/codes.ts) as a named schema with its documentation. */
export const codeList = <const T extends readonly [string, ...string[]]>(id: string, codes: T, description: string) =>
  z.enum(codes).meta({ id, description });
