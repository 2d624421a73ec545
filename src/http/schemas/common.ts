import { z } from 'zod';

export const MunicipalityCode = z
  .string()
  .regex(/^GM[0-9]{4}$/, 'must be a CBS municipality code: GM followed by four digits')
  .meta({ description: 'CBS gemeentecode, for example GM0363 (Amsterdam).', example: 'GM0363' });

export const IsoDate = z.iso.date();
export const Timestamp = z.iso.datetime({ offset: false });
export const Id = z.uuid();

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
    status: z.number().int(),
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
  page: z.coerce.number().int().min(1).max(1_000_000).default(1).meta({ description: 'The page to return, 1-based.' }),
  pageSize: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Items per page, at most 100.' }),
});

export const PageMeta = {
  page: z.number().int(),
  pageSize: z.number().int(),
  totalItems: z.number().int(),
  totalPages: z.number().int(),
};

export const Version = z.number().int().min(1).meta({
  description: 'Increases by one with every change; the ETag carries it. Send it back in If-Match.',
});

export const AuditReasonHeader = z
  .string()
  .max(500)
  .meta({ description: 'Why this change is made; stored in the audit trail. Do not put personal data in it.' });

/** A code list of the contract (src/domain/codes.ts) as a named schema with its documentation. */
export const codeList = <const T extends readonly [string, ...string[]]>(id: string, codes: T, description: string) =>
  z.enum(codes).meta({ id, description });
