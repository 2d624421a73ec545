import { isDeepStrictEqual } from 'node:util';
import type { AuditAction, AuditObjectType } from '../../domain/codes.js';
import {
  Conflict,
  DomainError,
  IdempotencyKeyReused,
  type InvalidParam,
  NotFound,
  RuleViolation,
  VersionConflict,
} from '../../domain/errors.js';
import { appendAudit } from '../../infrastructure/audit/chain.js';
import type { Database, Tx } from '../../infrastructure/db/client.js';
import { type TenantScope, withTenant } from '../../infrastructure/db/tenant.js';
import { claimKey, type IdempotencyClaim, type IdempotencyRecord, storeResponse } from '../../infrastructure/idempotency.js';
import {
  type ReferencedType,
  recordByExternalReference,
  referenceIndexViolated,
} from '../../infrastructure/repositories/external-references.js';
import type { RequestContext } from '../context.js';
import { recordPath } from '../records.js';

/** One change to one record: the audit trail keeps it, and commit hooks (e.g. an outbox) see it. */
export interface Change {
  action: AuditAction;
  objectType: AuditObjectType;
  objectId: string;
  municipalityCode: string | null;
  before: unknown;
  after: unknown;
}

/** What a command's work hands back: its result and every change it made. */
export interface Written<T> {
  value: T;
  changes: Change[];
}

/**
 * Work that must commit or roll back with every write, added once for all commands (a notification
 * outbox, import bookkeeping). It runs last in the transaction, after the audit entries.
 */
export type CommitHook = (tx: Tx, ctx: RequestContext, changes: readonly Change[]) => Promise<void>;

/** A create's outcome: made now, or answered from the record of an earlier request with the same Idempotency-Key. */
export type Created<T> = { replayed: false; value: T } | { replayed: true; record: IdempotencyRecord };

/**
 * A write that ran into a unique index of externalReference: a concurrent create or correction
 * with the same reference committed first, after this one's assertReferenceFree looked. The
 * index waited for it and refused: the same 409 as when the look had seen it.
 */
function asReferenceConflict(err: unknown): never {
  const type = referenceIndexViolated(err);
  if (!type) throw err;
  throw new Conflict(
    'external-reference-taken',
    `Another ${type.replace('_', ' ')} of the municipality has this externalReference: it was recorded at the same moment.`,
  );
}

/** Rolls back a create whose key turned out to be stored already, carrying the first response to answer again. */
class Replayed extends Error {
  constructor(readonly replay: { replayed: true; record: IdempotencyRecord }) {
    super('idempotent replay');
  }
}

/**
 * Claims a create's Idempotency-Key in its transaction: a key in use by a concurrent request is a
 * Conflict, a key stored for another request is IdempotencyKeyReused, a key stored for this one
 * gives its record to answer again (and the create makes nothing); null: claimed, go on.
 */
async function claimOrReplay(tx: Tx, claim: IdempotencyClaim): Promise<{ replayed: true; record: IdempotencyRecord } | null> {
  const found = await claimKey(tx, claim);
  if (found.kind === 'busy') {
    throw new Conflict(
      'idempotency-key-in-use',
      'A request with this Idempotency-Key is still being processed. Retry after Retry-After seconds to get its response.',
      { retryAfterSeconds: 1 },
    );
  }
  if (found.kind === 'stored') {
    if (found.record.fingerprint !== claim.fingerprint) throw new IdempotencyKeyReused();
    return { replayed: true, record: found.record };
  }
  return null;
}

/** How to change one stored record: see `change` below. */
export interface ChangeSpec<Row extends { version: number }, View> {
  objectType: AuditObjectType;
  objectId: string;
  /** How the record is named in errors, e.g. "Establishment 3f…". */
  what: string;
  action: 'update' | 'delete';
  /** The If-Match version the caller read. */
  expectedVersion: number;
  /** Loads the record in the caller's scope, locked for update; null when it is not there (or not theirs). */
  load(tx: Tx): Promise<Row | null>;
  /** Rules that need the stored record: throw RuleViolation or Conflict. */
  check?(tx: Tx, current: Row): Promise<void> | void;
  /** The write; returns the new row, or null when the record is gone from the API's view (deleted). */
  write(tx: Tx, current: Row): Promise<Row | null>;
  view(row: Row): View;
  municipalityCode(row: Row): string | null;
  /** Follow-up changes in the same transaction (re-deriving other records). */
  followUp?(tx: Tx, current: Row, next: Row | null): Promise<Change[]>;
  /** True when the write would change nothing: then nothing is written or audited, and the version stays. */
  unchanged?(current: Row): boolean;
}

/**
 * How to correct one stored record: a `change` that updates, its new content the revision applied
 * to the stored record as the API shows it (see Revision); `check` and `write` get that content.
 * `write` also gets the columns every correction stamps: who made it and when, and the next version.
 */
export interface CorrectionSpec<Row extends { version: number }, View, Input>
  extends Omit<ChangeSpec<Row, View>, 'action' | 'check' | 'write'> {
  revision: Revision<View, Input>;
  /** Rules on the new content and the stored record: throw RuleViolation or Conflict. */
  check(tx: Tx, current: Row, input: Input): Promise<void> | void;
  /** The stored columns the new content sets: when each equals the stored row's, nothing is written. */
  columns(input: Input): Partial<Row>;
  /** The update: those columns with the stamps (and what else the content implies); returns the new row. */
  write(tx: Tx, current: Row, input: Input, values: Partial<Row> & CorrectionStamps): Promise<Row | null>;
}

/** Who corrected a record and when, and its next version. */
export interface CorrectionStamps {
  updatedAt: Date;
  updatedBy: string;
  version: number;
}

/** How a command gets its transaction, bound to the caller's scope: its own (withTenant), or a share of an open one. */
export type TenantTransaction = <T>(scope: TenantScope, work: (tx: Tx) => Promise<T>) => Promise<T>;

/**
 * The one home of every change to a record (and to municipalities, API clients, subscriptions,
 * attestations, releases, import jobs). Each command runs through here: one transaction bound to the
 * caller's tenant scope → (for a create, or another POST run as one, with an Idempotency-Key) claim
 * the key → the command's own load, rules and write → its audit entries → the commit hooks → (for
 * that create) the stored response. Nothing of a write is outside the transaction, so nothing is half-done.
 * The service's own bookkeeping is written beside this path, each in a transaction of its own and never
 * a record: an idempotency key's stored response and its purge (infrastructure/idempotency.ts), the
 * dispatcher's deliveries, the import worker's progress. (The day's open-data release comes through
 * here, with its audit entry: application/statistics/open-data.ts.)
 */
export function createCommandRunner(
  database: Database,
  hooks: readonly CommitHook[] = [],
  transaction: TenantTransaction = (scope, work) => withTenant(database.db, scope, work),
) {
  async function finish(tx: Tx, ctx: RequestContext, changes: Change[]): Promise<void> {
    await appendAudit(tx, ctx.actor, changes);
    for (const hook of hooks) await hook(tx, ctx, changes);
  }

  /** A write that creates nothing retryable (updates, deletes, follow-ups). */
  function run<T>(ctx: RequestContext, work: (tx: Tx) => Promise<Written<T>>): Promise<T> {
    return transaction(ctx.scope, async (tx) => {
      const { value, changes } = await work(tx);
      await finish(tx, ctx, changes);
      return value;
    }).catch(asReferenceConflict);
  }

  /**
   * A create. With an Idempotency-Key (ctx.idempotency) the key is claimed in the create's
   * transaction: a key in use by a concurrent request is a Conflict, a key already stored answers
   * from its record (and creates nothing), a key stored for another request is
   * IdempotencyKeyReused. The key is stored in the same transaction as the create.
   *
   * The claim is the first statement, unless the fingerprint is known only once the work has read
   * the request (`fingerprintAfterWork`: an uploaded file, hashed as it streams in). Then the key is
   * claimed after the work, and a key stored for this request rolls the work back.
   */
  async function create<T>(
    ctx: RequestContext,
    work: (tx: Tx) => Promise<Written<T>>,
    fingerprintAfterWork?: () => string,
  ): Promise<Created<T>> {
    const claim = ctx.idempotency;
    const outcome = await transaction(ctx.scope, async (tx): Promise<Created<T>> => {
      const early = claim && !fingerprintAfterWork ? await claimOrReplay(tx, claim) : null;
      if (early) return early;
      const { value, changes } = await work(tx);
      if (claim && fingerprintAfterWork) {
        claim.fingerprint = fingerprintAfterWork();
        const late = await claimOrReplay(tx, claim);
        if (late) throw new Replayed(late);
      }
      await finish(tx, ctx, changes);
      if (claim) await storeResponse(tx, claim, value);
      return { replayed: false, value };
    }).catch((err: unknown) => {
      if (err instanceof Replayed) return err.replay; // the work is rolled back: the first request's record stands
      return asReferenceConflict(err);
    });
    if (claim && !outcome.replayed) claim.stored = true;
    return outcome;
  }

  /** A change of one stored record (update or delete), its steps in `changed` below, then its audit entries. */
  function change<Row extends { version: number }, View>(ctx: RequestContext, spec: ChangeSpec<Row, View>): Promise<View | null> {
    return run(ctx, (tx) => changed(tx, spec));
  }

  /**
   * A `change` that a POST makes (a secret's rotation), run as a create is: with an Idempotency-Key
   * its first statement claims the key, and its response is stored with it, so that a retry answers
   * the first response again and changes nothing. `answer` makes the response from the changed record.
   */
  function changeOnce<Row extends { version: number }, View, T>(
    ctx: RequestContext,
    spec: ChangeSpec<Row, View>,
    answer: (view: View | null) => T,
  ): Promise<Created<T>> {
    return create(ctx, async (tx) => {
      const { value, changes } = await changed(tx, spec);
      return { value: answer(value), changes };
    });
  }

  /** A correction (PUT, PATCH): the update of `change`, the new content worked out inside it; NotFound when the record is gone. */
  async function correct<Row extends { version: number }, View, Input>(
    ctx: RequestContext,
    { revision, check, columns, write, ...spec }: CorrectionSpec<Row, View, Input>,
  ): Promise<View> {
    let input: Input;
    let values: Partial<Row>;
    const updated = await change(ctx, {
      ...spec,
      action: 'update',
      check: async (tx, current) => {
        const revised = revise(revision, spec.view(current));
        const [next, setAside] = revised instanceof Revised ? [revised.input, revised.issues] : [revised, []];
        input = next;
        // Issues the revision set aside (a read-only field sent with another value) are listed with the rules' own.
        try {
          await check(tx, current, input);
        } catch (err) {
          if (setAside.length === 0 || !(err instanceof DomainError)) throw err;
          throw new RuleViolation(err instanceof RuleViolation ? [...setAside, ...err.invalidParams] : setAside);
        }
        if (setAside.length > 0) throw new RuleViolation(setAside);
        values = columns(input);
      },
      // The content sent is the content stored (a PATCH of {}, a PUT of what GET returned): no new version.
      unchanged: (current) => sameColumns(values, current),
      write: (tx, current) =>
        write(tx, current, input, {
          ...values,
          updatedAt: new Date(),
          updatedBy: ctx.actor.clientId as string,
          version: current.version + 1,
        }),
    });
    if (!updated) throw new NotFound(spec.what);
    return updated;
  }

  return { run, create, change, changeOnce, correct };
}

export type CommandRunner = ReturnType<typeof createCommandRunner>;

/** A change's steps in its transaction: load for update → version check (If-Match) → rules → write → its changes (before and after) → follow-ups. */
async function changed<Row extends { version: number }, View>(tx: Tx, spec: ChangeSpec<Row, View>): Promise<Written<View | null>> {
  const current = await spec.load(tx);
  if (!current) throw new NotFound(spec.what);
  if (current.version !== spec.expectedVersion) throw new VersionConflict(spec.what, current.version, spec.expectedVersion);
  await spec.check?.(tx, current);
  if (spec.unchanged?.(current)) return { value: spec.view(current), changes: [] };
  const next = await spec.write(tx, current);
  const after = next ? spec.view(next) : null;
  const changes: Change[] = [
    {
      action: spec.action,
      objectType: spec.objectType,
      objectId: spec.objectId,
      municipalityCode: spec.municipalityCode(current),
      before: spec.view(current),
      after,
    },
    ...((await spec.followUp?.(tx, current, next)) ?? []),
  ];
  return { value: after, changes };
}

/** A value with its null and absent members left out, at every depth (jsonb keeps no nulls apart from absence either). */
const present = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(present)
    : v !== null && typeof v === 'object' && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === null || x === undefined ? [] : [[k, present(x)]])))
      : v;

/** The columns the new content sets to another value than the stored row holds. */
export const changedColumns = (columns: object, row: object): string[] =>
  Object.entries(columns).flatMap(([k, v]) => (isDeepStrictEqual(present(v), present((row as Record<string, unknown>)[k])) ? [] : [k]));

/** Whether every column the new content sets already holds that value in the stored row. */
export const sameColumns = (columns: object, row: object): boolean => changedColumns(columns, row).length === 0;

/** The resource a create made; for callers that send no Idempotency-Key (the service itself, scripts, tests). */
export function madeBy<T>(created: Created<T>): T {
  if (created.replayed) throw new Error('a create without an Idempotency-Key cannot be a replay');
  return created.value;
}

/**
 * The new content of a record: given as it is (a command called directly), or worked out from the
 * stored record as the API shows it, inside the update's transaction after its version check (a
 * merge patch applied to it, or a full representation whose read-only fields must equal it). A
 * revision throws RuleViolation, listing every invalid field, when the result is not valid input.
 */
export type Revision<View, Input> = Input | ((current: View) => Input | Revised<Input>);

/**
 * A revision's new content together with issues that do not keep the record's own rules from being
 * checked on it (a read-only field sent with another value, which the content leaves out): the
 * correction lists them with whatever those rules find, in one RuleViolation.
 */
export class Revised<Input> {
  constructor(
    readonly input: Input,
    readonly issues: InvalidParam[],
  ) {}
}

export const revise = <View, Input>(revision: Revision<View, Input>, current: View): Input | Revised<Input> =>
  typeof revision === 'function' ? (revision as (current: View) => Input | Revised<Input>)(current) : revision;

/** Who made a new record and when: its first change stamps. */
export function stamps(ctx: RequestContext) {
  const now = new Date();
  const by = ctx.actor.clientId as string;
  return { createdAt: now, updatedAt: now, createdBy: by, updatedBy: by };
}

/** A create's result and its one change, for the audit trail: `after` is the new record as the API shows it. */
export function createdRecord<T>(objectType: AuditObjectType, objectId: string, municipalityCode: string | null, after: T): Written<T> {
  return { value: after, changes: [{ action: 'create', objectType, objectId, municipalityCode, before: null, after }] };
}

/**
 * A rule of every record with a municipality's own reference: no other live record of its type in
 * the municipality has it (the partial unique indexes of migration 0016 hold the same line; a
 * concurrent writer that passed this check too is stopped there: asReferenceConflict). The 409
 * names the record in the way in its Location, so a case system that lost an id finds it again.
 */
export async function assertReferenceFree(
  tx: Tx,
  type: ReferencedType,
  municipalityCode: string,
  reference: string | null | undefined,
  exceptId?: string,
): Promise<void> {
  if (!reference) return;
  const other = await recordByExternalReference(tx, type, municipalityCode, reference, exceptId);
  if (other) {
    throw new Conflict(
      'external-reference-taken',
      `Another ${type.replace('_', ' ')} of ${municipalityCode} (${other.id}) has externalReference ${reference}.`,
      { location: `/v1${recordPath(type, other.id, other.establishmentId)}` },
    );
  }
}

/** The columns that turn a record into a tombstone: gone from lists and statistics, kept for its trail. */
export const tombstoneColumns = (ctx: RequestContext, current: { version: number }) => ({
  deletedAt: new Date(),
  deletedBy: ctx.actor.clientId,
  deleteReason: ctx.actor.reason,
  version: current.version + 1,
});
