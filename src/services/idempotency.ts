import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { idempotencyKeys } from '../db/schema-idempotency.js';
import { HttpProblem } from '../lib/problem.js';
import type { TransactionHooks } from './unit-of-work.js';

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

/** The request a key was first used for: a retry must send the same one. */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${url}\n${canonicalize(body ?? null) ?? ''}`)
    .digest('hex');
}

/** Two 32-bit halves of a hash of (client, key), for pg_try_advisory_xact_lock(int, int). */
function lockKeys(clientId: string, key: string): [number, number] {
  const h = createHash('sha256').update(`idempotency\0${clientId}\0${key}`).digest();
  return [h.readInt32BE(0), h.readInt32BE(4)];
}

/** The live (unexpired) record of this client's key, or null. */
export async function findIdempotencyRecord(q: Db | Tx, clientId: string, key: string): Promise<IdempotencyRecord | null> {
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

/** Thrown inside the write transaction when a duplicate committed after the request's first look. */
export class IdempotentReplay extends Error {
  constructor(readonly record: IdempotencyRecord) {
    super('replay');
  }
}

export const keyInUse = () =>
  new HttpProblem({
    status: 409,
    code: 'idempotency-key-in-use',
    title: 'Conflict',
    detail: 'A request with this Idempotency-Key is still being processed. Retry after Retry-After seconds to get its response.',
    headers: { 'Retry-After': '1' },
  });

export const keyReused = () =>
  new HttpProblem({
    status: 422,
    code: 'idempotency-key-reused',
    title: 'Unprocessable Content',
    detail: 'This Idempotency-Key was already used for a different request (another path or body). Use a new key for a new request.',
  });

export interface Claim {
  clientId: string;
  key: string;
  fingerprint: string;
  ttlHours: number;
  /** Body fields never stored (shown once), e.g. an API client's token. */
  withheld: readonly string[];
  /** Set once the key is written in a transaction that committed. */
  stored: boolean;
  /** The collection the create posts to (path without query): a created resource lives at `${collection}/${id}`. */
  collection: string;
  /** What the transaction stored as the response: the final one is written again only if it differs. */
  storedResponse?: { body: string; headers: Record<string, string> };
}

/**
 * The hooks that make one create idempotent: at the start of its transaction, take a transaction
 * advisory lock on (client, key) — held by a concurrent duplicate, it is a 409 — and look again for a
 * record committed meanwhile (then the request is replayed); before commit, store the key with the
 * response derived from the transaction's result.
 */
export function idempotencyHooks(claim: Claim): TransactionHooks {
  let inThisTransaction = false;
  return {
    async begin(tx) {
      inThisTransaction = false;
      if (claim.stored) return; // a later transaction of the same request
      const [a, b] = lockKeys(claim.clientId, claim.key);
      // The lock, and then a look for a record committed meanwhile, in one round trip (migration 0009).
      const res = await tx.execute(
        sql`select locked, known from idempotency_claim(${a}::int, ${b}::int, ${claim.clientId}::uuid, ${claim.key})`,
      );
      const row = (res as unknown as { rows: { locked: boolean; known: boolean }[] }).rows[0];
      if (!row?.locked) throw keyInUse();
      if (row.known) {
        const existing = await findIdempotencyRecord(tx, claim.clientId, claim.key);
        if (existing) throw new IdempotentReplay(existing);
      }
      inThisTransaction = true;
    },
    async beforeCommit(tx, result) {
      if (!inThisTransaction) return;
      const resource = (result ?? {}) as Record<string, unknown>;
      const body = { ...resource };
      for (const f of claim.withheld) delete body[f];
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      const id = resource.id ?? resource.code;
      if (typeof id === 'string') headers.location = `${claim.collection}/${id}`;
      if (typeof resource.version === 'number') headers.etag = `"${resource.version}"`;
      const now = new Date();
      claim.storedResponse = { body: JSON.stringify(body), headers };
      const values = {
        clientId: claim.clientId,
        key: claim.key,
        fingerprint: claim.fingerprint,
        responseStatus: 201,
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
    },
    committed() {
      if (inThisTransaction) claim.stored = true;
      inThisTransaction = false;
    },
    rolledBack() {
      if (inThisTransaction) delete claim.storedResponse;
      inThisTransaction = false;
    },
  };
}

/**
 * After the handler: the exact response (status, serialised body, Location and ETag) replaces the
 * one derived in the transaction, so retries get the same bytes. Returns false when they were the
 * same already (the usual case: then nothing is written).
 */
export async function recordFinalResponse(
  db: Db,
  claim: Claim,
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
  if (status === 201 && stored?.body === body && canonicalize(stored.headers) === canonicalize(headers)) return false;
  await db
    .update(idempotencyKeys)
    .set({ responseStatus: status, responseBody: body, responseHeaders: headers })
    .where(and(eq(idempotencyKeys.clientId, claim.clientId), eq(idempotencyKeys.key, claim.key)));
  return true;
}
