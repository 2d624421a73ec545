import { asc, eq, gt, isNotNull, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Queryable } from '../db/client.js';
import { apiClients, auditLog, enforcementActions, establishments } from '../db/schema.js';
import { subscriptions } from '../db/schema-notifications.js';
import { reportingAttestations, statisticsReleases } from '../db/schema-reporting.js';

/** The free text one record keeps, by the field's API name (`address.street`), with its identity. */
export interface StoredText {
  objectId: string;
  municipalityCode: string | null;
  /** A tombstone: deleted, its content kept for its trail. */
  deleted: boolean;
  texts: Record<string, string | null>;
}

interface TextSource {
  /** The key, text or number, that pages are read in the order of. */
  key: PgColumn;
  municipalityCode: SQL<string | null>;
  deleted: SQL<boolean>;
  texts: Record<string, PgColumn>;
}

const NO_MUNICIPALITY = sql<string | null>`null::text`;
const LIVE = sql<boolean>`false`;

/** A record kept as a tombstone when deleted: its texts, and the reason it was deleted. */
const tombstoned = (
  table: { id: PgColumn; municipalityCode: PgColumn; deletedAt: PgColumn; deleteReason: PgColumn },
  texts: Record<string, PgColumn>,
): TextSource => ({
  key: table.id,
  municipalityCode: sql`${table.municipalityCode}`,
  deleted: sql`${table.deletedAt} is not null`,
  texts: { ...texts, deleteReason: table.deleteReason },
});

/** Where each kind of record keeps its free text and links: the columns of the API's fields (FREE_TEXT_FIELDS, LINK_FIELDS), and the reason of a deletion. */
const SOURCES = {
  establishment: tombstoned(establishments, {
    name: establishments.name,
    'address.street': establishments.street,
    'address.city': establishments.city,
  }),
  enforcement_action: tombstoned(enforcementActions, {
    legalBasis: enforcementActions.legalBasis,
    zaakUrl: enforcementActions.zaakUrl,
    besluitUrl: enforcementActions.besluitUrl,
  }),
  reporting_attestation: tombstoned(reportingAttestations, { statement: reportingAttestations.statement }),
  subscription: {
    key: subscriptions.id,
    municipalityCode: sql`${subscriptions.municipalityCode}`,
    deleted: LIVE,
    texts: { description: subscriptions.description, callbackUrl: subscriptions.callbackUrl },
  },
  api_client: {
    key: apiClients.id,
    municipalityCode: sql`${apiClients.municipalityCode}`,
    deleted: LIVE,
    texts: { name: apiClients.name },
  },
  statistics_release: {
    key: statisticsReleases.number,
    municipalityCode: NO_MUNICIPALITY,
    deleted: LIVE,
    texts: { title: statisticsReleases.title },
  },
} satisfies Record<string, TextSource>;

export type TextSourceName = keyof typeof SOURCES;
export const TEXT_SOURCES = Object.keys(SOURCES) as TextSourceName[];

/**
 * The next `limit` records of one kind after `after` (a key as returned in `objectId`; null: from the
 * start), in key order, with the free text they keep. Rows row-level security hides are not read.
 */
export function storedTextPage(q: Queryable, kind: TextSourceName, after: string | null, limit: number): Promise<StoredText[]> {
  const numeric = kind === 'statistics_release';
  const key = SOURCES[kind].key;
  return storedText(q, kind, after === null ? undefined : gt(key, numeric ? Number(after) : after), limit);
}

/** The free text one record keeps now (a tombstone's too), or null when there is no such record. */
export async function storedTextOf(q: Queryable, kind: TextSourceName, id: string): Promise<StoredText | null> {
  const numeric = kind === 'statistics_release';
  if (numeric ? !/^[0-9]{1,9}$/.test(id) : !/^[0-9a-f-]{36}$/i.test(id)) return null;
  const [found] = await storedText(q, kind, eq(SOURCES[kind].key, numeric ? Number(id) : id), 1);
  return found ?? null;
}

async function storedText(q: Queryable, kind: TextSourceName, where: SQL | undefined, limit: number): Promise<StoredText[]> {
  const source: TextSource = SOURCES[kind];
  const fields = Object.entries(source.texts);
  const rows = await q
    .select({
      objectId: sql<string>`${source.key}::text`,
      municipalityCode: source.municipalityCode,
      deleted: source.deleted,
      ...Object.fromEntries(fields.map(([, column], i) => [`t${i}`, column])),
    })
    .from(source.key.table)
    .where(where)
    .orderBy(asc(source.key))
    .limit(limit);
  return rows.map((row) => {
    const r = row as Record<string, unknown>;
    return {
      objectId: String(r.objectId),
      municipalityCode: (r.municipalityCode as string | null) ?? null,
      deleted: r.deleted === true,
      texts: Object.fromEntries(fields.map(([field], i) => [field, (r[`t${i}`] as string | null) ?? null])),
    };
  });
}

/** An audit entry's free text: its reason, and the records it keeps before and after the change. */
export interface EntryText {
  seq: number;
  objectType: string;
  objectId: string;
  municipalityCode: string | null;
  action: string;
  /** False for an entry of chain format 1 (before migration 0008), whose hash covers its content. */
  hasContentHash: boolean;
  reason: string | null;
  before: unknown;
  after: unknown;
}

/** The next `limit` audit entries after `afterSeq` that keep any content (a destruction blanks it), in seq order. */
export function entryTextPage(q: Queryable, afterSeq: number, limit: number): Promise<EntryText[]> {
  return q
    .select({
      seq: auditLog.seq,
      objectType: auditLog.objectType,
      objectId: auditLog.objectId,
      municipalityCode: auditLog.municipalityCode,
      action: auditLog.action,
      hasContentHash: sql<boolean>`${auditLog.contentHash} is not null`,
      reason: auditLog.reason,
      before: auditLog.before,
      after: auditLog.after,
    })
    .from(auditLog)
    .where(sql`${gt(auditLog.seq, afterSeq)} and ${or(isNotNull(auditLog.reason), isNotNull(auditLog.before), isNotNull(auditLog.after))}`)
    .orderBy(asc(auditLog.seq))
    .limit(limit);
}
