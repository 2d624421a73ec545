import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import { asc, eq, gt, inArray } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/client.js';
import { auditLog, auditPending } from '../db/schema.js';
import { appendRows } from '../repositories/rows.js';

/**
 * The person acting (an officer or other municipal employee; never a sex worker): from a user token
 * the service verified (`verified`), or as a system token or client declared it (not verified).
 */
export interface ActingPerson {
  id: string;
  name: string | null;
  verified: boolean;
}

/** Who made the changes an entry records, and why. */
export interface AuditAuthor {
  clientId: string | null;
  role: string;
  requestId: string | null;
  reason: string | null;
  /** The acting person, when known (issue 12); absent for the service's own work and plain API clients. */
  person?: ActingPerson | null | undefined;
}

/** One change to one record, as the audit trail keeps it (the codes are the domain's: src/domain/codes.ts). */
export interface AuditEvent {
  action: string;
  objectType: string;
  objectId: string;
  municipalityCode: string | null;
  before: unknown;
  after: unknown;
}

export const GENESIS_HASH = '0'.repeat(64);

type AuditRow = typeof auditLog.$inferSelect;
type AuditContent = Omit<AuditRow, 'seq' | 'prevHash' | 'hash' | 'contentHash'>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const canonicalContent = (e: AuditContent) => ({
  id: e.id,
  occurredAt: e.occurredAt.toISOString(),
  clientId: e.clientId,
  clientRole: e.clientRole,
  action: e.action,
  objectType: e.objectType,
  objectId: e.objectId,
  municipalityCode: e.municipalityCode,
  before: e.before ?? null,
  after: e.after ?? null,
  reason: e.reason,
  requestId: e.requestId,
  // Only when there is one: entries written before migration 0015 (no actor) keep their content hash.
  ...(e.actorId === null ? {} : { actor: { id: e.actorId, name: e.actorName, verified: e.actorVerified } }),
});

/**
 * Chain format 2 (entries written since migration 0008): SHA-256 over the RFC 8785 canonical JSON
 * of the entry's content. The service computes it; the database chains it at commit.
 */
export function contentHash(e: AuditContent): string {
  return sha256(canonicalize(canonicalContent(e)) ?? '');
}

/**
 * What a destruction keeps of an entry: everything of its content but the payload (`before`, `after`,
 * `reason`), with its seq. A `destroy` entry records a hash of it per entry it blanked, so that these
 * fields stay covered by a hash the verifier can recompute once the content hash no longer can be.
 */
export function keptFieldsHash(e: AuditRow): string {
  const { before: _before, after: _after, reason: _reason, ...kept } = canonicalContent(e);
  return sha256(canonicalize({ seq: e.seq, ...kept }) ?? '');
}

/** The kept-fields hashes of these entries as stored now (after their blanking), for their destroy entry to record. */
export async function keptFieldsHashes(q: Queryable, seqs: readonly number[]): Promise<Map<number, string>> {
  const hashes = new Map<number, string>();
  for (let i = 0; i < seqs.length; i += 1000) {
    const rows = await q
      .select()
      .from(auditLog)
      .where(inArray(auditLog.seq, seqs.slice(i, i + 1000)));
    for (const row of rows) hashes.set(row.seq, keptFieldsHash(row));
  }
  return hashes;
}

/** Chain format 2: the entry's hash, over its position, its predecessor's hash and its content hash. */
export function chainHash(seq: number, prevHash: string, content: string): string {
  return sha256(`${seq}:${prevHash}:${content}`);
}

/** Chain format 1 (entries written before migration 0008): SHA-256 over the canonical JSON of content, seq and prevHash. */
export function entryHashV1(e: Omit<AuditRow, 'hash' | 'contentHash'>): string {
  return sha256(canonicalize({ seq: e.seq, ...canonicalContent(e), prevHash: e.prevHash }) ?? '');
}

/**
 * Writes entries inside the caller's transaction: if the change rolls back, so do its entries, and a
 * change whose entry cannot be written fails with it. They go to audit_pending; the deferred trigger
 * of migration 0008 chains them into audit_log at COMMIT, in this order, so the chain lock is held
 * for the commit only and never while the service works.
 */
export async function appendAudit(tx: Tx, actor: AuditAuthor, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  const occurredAt = new Date();
  const rows = events.map((e) => {
    const row: AuditContent = {
      id: randomUUID(),
      occurredAt,
      clientId: actor.clientId,
      clientRole: actor.role,
      action: e.action,
      objectType: e.objectType,
      objectId: e.objectId,
      municipalityCode: e.municipalityCode,
      before: (e.before ?? null) as unknown,
      after: (e.after ?? null) as unknown,
      reason: actor.reason,
      requestId: actor.requestId,
      actorId: actor.person?.id ?? null,
      actorName: actor.person ? actor.person.name : null,
      actorVerified: actor.person ? actor.person.verified : null,
    };
    return { ...row, contentHash: contentHash(row) };
  });
  // A many-record command (an import's batch) may bring thousands: in statements under the parameter limit.
  await appendRows(tx, auditPending, rows);
}

export interface ChainReport {
  ok: boolean;
  entriesChecked: number;
  firstBrokenSeq: number | null;
  problem: string | null;
}

/** An entry whose payload (before, after, reason) was blanked by a destruction (migration 0013). */
const isBlanked = (row: AuditRow) => row.before === null && row.after === null && row.reason === null;

/** The record types retention destroys (RetainedRecordType, src/domain/retention.ts): no other has destroy entries. */
const DESTROYED_TYPES = new Set(['enforcement_action', 'licence', 'establishment']);

/** The entries a `destroy` entry says it blanked. */
const blankedBy = (row: AuditRow): number[] => {
  const listed = (row.after as { auditEntries?: unknown } | null)?.auditEntries;
  return Array.isArray(listed) ? listed.filter((n): n is number => Number.isInteger(n)) : [];
};

/** The kept-fields hashes a `destroy` entry recorded, by seq; null for one written before it recorded them. */
const keptFieldsHashesOf = (row: AuditRow): Record<string, unknown> | null => {
  const recorded = (row.after as { keptFieldsHashes?: unknown } | null)?.keptFieldsHashes;
  return recorded && typeof recorded === 'object' ? (recorded as Record<string, unknown>) : null;
};

/** What a redaction leaves in place of a text (migration 0025 writes the same). */
export const REDACTED_TEXT = '[removed: personal data]';

/** What a `redact` entry says of one entry it redacted: the fields replaced, the content hash it has since, and who says so. */
interface RedactionClaim {
  by: number;
  record: string;
  fields: unknown;
  contentHash: unknown;
}

/** The value of an entry's `reason`, or at a path into its `before` or `after` (`after.address.street`). */
export function valueAt(row: AuditRow, field: string): unknown {
  if (field === 'reason') return row.reason;
  const [side, ...path] = field.split('.');
  let at: unknown = side === 'before' ? row.before : side === 'after' ? row.after : undefined;
  for (const key of path)
    at = at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

/**
 * Whether a claim accounts for a redacted entry as it is now: made by a later entry about the same
 * record, of an entry a redaction may change (no destroy or redact entry), every field it names
 * holding the fixed text now, and the entry's content giving the hash it recorded.
 */
const accountsFor = (c: RedactionClaim, row: AuditRow, record: string, content: string) =>
  c.by > row.seq &&
  c.record === record &&
  row.action !== 'destroy' &&
  row.action !== 'redact' &&
  Array.isArray(c.fields) &&
  c.fields.length > 0 &&
  c.fields.every((f) => typeof f === 'string' && valueAt(row, f) === REDACTED_TEXT) &&
  c.contentHash === content;

/**
 * Every redaction claim in the trail, by the seq of the entry redacted. Read before the walk, as a
 * redact entry always comes after the entries it redacted; a claim counts only from a later entry
 * about the same record, and the walk still checks that entry's own content when it gets there.
 */
async function redactionClaims(db: Queryable): Promise<Map<number, RedactionClaim[]>> {
  const rows = await db
    .select({ seq: auditLog.seq, objectType: auditLog.objectType, objectId: auditLog.objectId, after: auditLog.after })
    .from(auditLog)
    .where(eq(auditLog.action, 'redact'));
  const claims = new Map<number, RedactionClaim[]>();
  for (const row of rows) {
    const listed = (row.after as { redactedEntries?: unknown } | null)?.redactedEntries;
    for (const item of Array.isArray(listed) ? listed : []) {
      const { seq, fields, contentHash } = (item ?? {}) as { seq?: unknown; fields?: unknown; contentHash?: unknown };
      if (typeof seq !== 'number' || !Number.isInteger(seq)) continue;
      const claim = { by: row.seq, record: `${row.objectType}:${row.objectId}`, fields, contentHash };
      claims.set(seq, [...(claims.get(seq) ?? []), claim]);
    }
  }
  return claims;
}

/** A hash recomputed from an entry's stored content; null when that content is no entry's (a time that is no time). */
function recomputed(hash: () => string): string | null {
  try {
    return hash();
  } catch {
    return null;
  }
}

/**
 * Walks the whole chain in order and reports the first entry that does not hold.
 *
 * Destruction (Archiefwet) blanks the payload of a destroyed record's entries and keeps their
 * stored content hash, so such an entry's content can no longer be recomputed: it is accepted when
 * its payload is blank and a later `destroy` entry (whose own content verifies) lists its seq, and,
 * when that entry recorded the hash of the fields it kept (`keptFieldsHashes`), those fields still
 * give it. Its link in the chain (seq, prevHash, content hash → hash) is still checked. A payload
 * blanked or edited without such an entry breaks the chain as before.
 *
 * A redaction (personal data removed, migration 0025) changes an entry's content in place of texts;
 * such an entry is accepted when a later `redact` entry about the same record lists its seq, fields
 * that hold the redaction's fixed text now, and the content hash its content gives now.
 */
export async function verifyAuditChain(db: Queryable, batchSize = 1000): Promise<ChainReport> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  let formatTwoSeen = false;
  /** Blanked entries not yet accounted for by a destroy entry: the hash of the fields they kept, and their record. */
  const unaccounted = new Map<number, { kept: string; record: string }>();
  const recordOf = (row: AuditRow) => `${row.objectType}:${row.objectId}`;
  // Read again when an entry is not covered: a redaction may have committed since (a walk outside one snapshot).
  let claims = await redactionClaims(db);
  const claimed = (row: AuditRow, content: string) => (claims.get(row.seq) ?? []).some((c) => accountsFor(c, row, recordOf(row), content));
  const redacted = async (row: AuditRow, content: string) => {
    if (claimed(row, content)) return true;
    claims = await redactionClaims(db);
    return claimed(row, content);
  };
  for (;;) {
    const batch = await db
      .select()
      .from(auditLog)
      // The first batch from the lowest seq stored: an entry put in below seq 1 is no part of the
      // chain, and must not be skipped as if it were not there.
      .where(expectedSeq === 1 ? undefined : gt(auditLog.seq, expectedSeq - 1))
      .orderBy(asc(auditLog.seq))
      .limit(batchSize);
    if (batch.length === 0) break;
    for (const row of batch) {
      const broken = (problem: string): ChainReport => ({ ok: false, entriesChecked: checked, firstBrokenSeq: row.seq, problem });
      if (row.seq < 1) return broken(`entry ${row.seq} lies outside the chain, which starts at seq 1`);
      if (row.seq !== expectedSeq) {
        return { ok: false, entriesChecked: checked, firstBrokenSeq: expectedSeq, problem: `entry ${expectedSeq} is missing` };
      }
      if (row.prevHash !== prevHash) return broken('prevHash does not match the previous entry’s hash');
      if (row.contentHash === null) {
        // Format 1 only before the first format-2 entry: a later one would be a downgrade.
        if (formatTwoSeen) return broken('a format-1 entry follows a format-2 entry');
        const v1 = recomputed(() => entryHashV1(row));
        if (v1 === null) return broken('content cannot be read as an entry’s');
        if (v1 !== row.hash) {
          if (!isBlanked(row)) return broken('content does not match its hash');
          unaccounted.set(row.seq, { kept: keptFieldsHash(row), record: recordOf(row) });
        }
      } else {
        formatTwoSeen = true;
        const content = recomputed(() => contentHash(row));
        if (content === null) return broken('content cannot be read as an entry’s');
        if (content !== row.contentHash) {
          if (isBlanked(row)) unaccounted.set(row.seq, { kept: keptFieldsHash(row), record: recordOf(row) });
          else if (!(await redacted(row, content))) return broken('content does not match its content hash');
        } else if (row.action === 'destroy') {
          // Retention destroys records of three types, each with the entries of that record only.
          if (!DESTROYED_TYPES.has(row.objectType)) return broken(`a destroy entry about a ${row.objectType}, which is never destroyed`);
          // Since destroy entries record the kept fields' hashes, a blanked entry's who, when and what must still match.
          const recorded = keptFieldsHashesOf(row);
          for (const seq of blankedBy(row)) {
            const blanked = unaccounted.get(seq);
            if (blanked !== undefined && blanked.record !== recordOf(row)) {
              return broken(`destroy entry ${row.seq} lists entry ${seq}, which is about another record`);
            }
            const kept = blanked?.kept;
            if (kept !== undefined && recorded && recorded[seq] !== kept) {
              return {
                ok: false,
                entriesChecked: checked,
                firstBrokenSeq: seq,
                problem: `the fields entry ${seq} kept after its destruction do not match the hash destroy entry ${row.seq} recorded`,
              };
            }
            unaccounted.delete(seq);
          }
        }
        if (chainHash(row.seq, row.prevHash, row.contentHash) !== row.hash)
          return broken('hash does not match seq, prevHash and content hash');
      }
      prevHash = row.hash;
      expectedSeq += 1;
      checked += 1;
    }
  }
  if (unaccounted.size > 0) {
    const first = Math.min(...unaccounted.keys());
    return {
      ok: false,
      entriesChecked: checked,
      firstBrokenSeq: first,
      problem: `the payload of entry ${first} is gone, and no destroy entry records its destruction`,
    };
  }
  return { ok: true, entriesChecked: checked, firstBrokenSeq: null, problem: null };
}
