/**
 * What tests of every kind use, without loading the app: process tests import this rather than
 * helper.ts, which loads the whole service (about a second of every file's start-up).
 */

export const usingPostgres = Boolean(process.env.DATABASE_URL);

/**
 * Where test databases are created, copied and dropped on PostgreSQL: DATABASE_MIGRATION_URL (the
 * owner, as the service's migrations use it) when set, else DATABASE_URL. Only with `usingPostgres`.
 */
export const ownerUrlFromEnv = (): string => process.env.DATABASE_MIGRATION_URL ?? (process.env.DATABASE_URL as string);

/** Bodies for tests: valid by default, overridable per field. */
export const sample = {
  establishment: (municipalityCode = 'GM0363', over: Record<string, unknown> = {}) => ({
    municipalityCode,
    name: 'Club Rood',
    kind: 'club',
    address: { street: 'Oudezijds Achterburgwal', houseNumber: 12, postalCode: '1012DK', city: 'Amsterdam' },
    ...over,
  }),
  licence: (over: Record<string, unknown> = {}) => ({
    licenceNumber: 'EV-2016-001',
    validFrom: '2016-01-01',
    validUntil: '2020-12-31',
    statusHistory: [{ status: 'granted', effectiveDate: '2016-01-01' }],
    ...over,
  }),
  action: (establishmentId: string, over: Record<string, unknown> = {}) => ({
    establishmentId,
    measure: 'administrative_fine',
    grounds: ['hygiene'],
    stage: 'decided',
    decisionDate: '2019-05-01',
    fine: { amountCents: 150_000 },
    ...over,
  }),
};

/** Parses a JSON response body. */
export const json = <T = Record<string, unknown>>(res: { body: string }): T => JSON.parse(res.body) as T;
