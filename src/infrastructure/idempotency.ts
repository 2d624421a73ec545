import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import type { Db, Tx } from './db/client.js';
import { idempotencyKeys } from './db/schema-idempotency.js';

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

/** The request a key was first used for: a retry must send the same one. */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${url}\n${bodyText(body)}`)
    .digest('hex');
}

/** Whether a body is data parsed from JSON (plain objects, arrays, scalars), not a stream or another object. */
function isJsonData(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return true;
  const proto = Object.getPrototypeOf(body);
  return Array.isArray(body) || proto === Object.prototype || proto === null;
}

/**
 * The body as its fingerprint sees it: RFC 8785 canonical JSON, so the order of keys does not matter.
 * An upload stream is no body here (its route fingerprints the file as it reads it: POST /imports).
 * JSON that canonicalization refuses (a lone surrogate, a number beyond a double, nesting deeper than
 * it recurses) passes no route's schema, and an operation that takes no body refuses one
 * (plugins/http-hygiene.ts): should one get here all the same, all such bodies count as one, so that
 * nothing here can fail.
 */
function bodyText(body: unknown): string {
  if (body === undefined || !isJsonData(body)) return 'null';
  try {
    return canonicalize(body) ?? '';
  } catch {
    return 'a body canonical JSON refuses';
  }
}

/** Two 32-bit halves of a hash of (client, key), for pg_try_advisory_xact_lock(int, int). */
function lockKeys(clientId: string, key: string): [number, number] {
  const h = createHash('sha256').update(`idempotency\0${clientId}\0${key}`).digest();
  return [h.readInt32BE(0), h.readInt32BE(4)];
}

/** The live (unexpired) record of this client's key, or null. */
async function findIdempotencyRecord(q: Db | Tx, clientId: string, key: string): Promise<IdempotencyRecord | null> {
  const [row] = await q
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.clientId, clientId), eq(idempotencyKeys.key, key), gt(idempotencyKeys.expiresAt, sql`now()`)));
  return row ?? null;
}

/** Deletes expired keys; returns how many. */
export async function purgeExpiredIdempotencyKeys(db: Db): Promise<number> {
  const rows = await db.delete(idempotencyKeys).where(lte(idempotencyKeys.expiresAt, sql`now()`)).returning({ key: idempotencyKeys.key });
  return rows.length;
}

export interface IdempotencyClaim {
  clientId: string;
  key: string;
  fingerprint: string;
  ttlHours: number;
  /** Body fields never stored (shown once), e.g. an API client's token. */
  withheld: readonly string[];
  /** Set once the key is written in a transaction that committed. */
  stored: boolean;
  /** The status the request answers when it succeeds: 201 for a create, 200 or 202 for another POST. */
  status: number;
  /** The collection a create posts to (path without query), its resource at `${collection}/${id}` (Location); null: the answer has no Location. */
  collection: string | null;
  /** What the transaction stored as the response: the final one is written again only if it differs. */
  storedResponse?: { body: string; headers: Record<string, string> };
}

/** What claiming a key in a write transaction found. */
export type ClaimOutcome = { kind: 'claimed' } | { kind: 'busy' } | { kind: 'stored'; record: IdempotencyRecord };

/**
 * The first statement of an idempotent create's transaction: a transaction advisory lock on (client,
 * key), held by a concurrent duplicate (busy), and then a look for a record committed meanwhile
 * (stored: the request is answered from it), in one round trip (migration 0009).
 */
export async function claimKey(tx: Tx, claim: IdempotencyClaim): Promise<ClaimOutcome> {
  const [a, b] = lockKeys(claim.clientId, claim.key);
  const res = await tx.execute(
    sql`select locked, known from idempotency_claim(${a}::int, ${b}::int, ${claim.clientId}::uuid, ${claim.key})`,
  );
  const row = (res as unknown as { rows: { locked: boolean; known: boolean }[] }).rows[0];
  if (!row?.locked) return { kind: 'busy' };
  const record = row.known ? await findIdempotencyRecord(tx, claim.clientId, claim.key) : null;
  return record ? { kind: 'stored', record } : { kind: 'claimed' };
}

/**
 * The last statement before commit: stores the key with the response derived from the request's
 * result (the created resource), so that the key exists if and only if the write committed.
 */
export async function storeResponse(tx: Tx, claim: IdempotencyClaim, created: unknown): Promise<void> {
  const resource = (created ?? {}) as Record<string, unknown>;
  const body = { ...resource };
  for (const f of claim.withheld) delete body[f];
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  const id = resource.id ?? resource.code;
  if (typeof id === 'string' && claim.collection) headers.location = `${claim.collection}/${id}`;
  if (typeof resource.version === 'number') headers.etag = `"${resource.version}"`;
  const now = new Date();
  claim.storedResponse = { body: JSON.stringify(body), headers };
  const values = {
    clientId: claim.clientId,
    key: claim.key,
    fingerprint: claim.fingerprint,
    responseStatus: claim.status,
    responseBody: claim.storedResponse.body,
    responseHeaders: headers,
    withheld: claim.withheld.filter((f) => f in resource),
    createdAt: now,
    expiresAt: new Date(now.getTime() + claim.ttlHours * 3_600_000),
  };
  // An expired record of the same key is replaced; a live one cannot exist (checked under the lock).
  await tx
    .insert(idempotencyKeys)
    .values(values)
    .onConflictDoUpdate({ target: [idempotencyKeys.clientId, idempotencyKeys.key], set: values });
}

/**
 * After the handler: the exact response (status, serialised body, Location and ETag) replaces the
 * one derived in the transaction, so retries get the same bytes. Returns false when they were the
 * same already (the usual case: then nothing is written).
 */
export async function recordFinalResponse(
  db: Db,
  claim: IdempotencyClaim,
  status: number,
  payload: string,
  headers: Record<string, string>,
): Promise<boolean> {
  let body = payload;
  if (claim.withheld.length > 0) {
    const parsed = JSON.parse(payload) as Record<string, unknown>;
    for (const f of claim.withheld) delete parsed[f];
    body = JSON.stringify(parsed);
  }
  const stored = claim.storedResponse;
  // Usually the transaction already stored these very bytes and headers: no second write.
  if (status === claim.status && stored?.body === body && canonicalize(stored.headers) === canonicalize(headers)) return false;
  await db
    .update(idempotencyKeys)
    .set({ responseStatus: status, responseBody: body, responseHeaders: headers })
    .where(and(eq(idempotencyKeys.clientId, claim.clientId), eq(idempotencyKeys.key, claim.key)));
  return true;
}
