import { randomUUID } from 'node:crypto';
import { Conflict, DomainError, Forbidden, NotFound, RuleViolation } from '../../domain/errors.js';
import type { EnforcementActionInput, EstablishmentInput, LicenceInput } from '../../domain/records.js';
import { COLUMNS, columnOf, type ImportChange, type ImportProblem, type RecordType } from '../../domain/transfer.js';
import type { Database, Tx } from '../../infrastructure/db/client.js';
import { isDatabaseUnavailable } from '../../infrastructure/db/errors.js';
import { inTenant, withTenant } from '../../infrastructure/db/tenant.js';
import { findApiClient } from '../../infrastructure/repositories/api-clients.js';
import { findByReference, findManyByReference } from '../../infrastructure/repositories/external-references.js';
import {
  claimImport,
  deleteImportRows,
  findImport,
  type ImportRecordRow,
  type ImportRow,
  importRowsFrom,
  insertImport,
  insertImportRows,
  releaseLeases,
  renewValidation,
  updateImport,
  updateOwnedImport,
} from '../../infrastructure/repositories/imports.js';
import { type Spool, spool } from '../../infrastructure/spool.js';
import { type LoopLog, repeatedFailure } from '../../lib/repeated-failure.js';
import type { createEnforcementActionCommands } from '../commands/enforcement-actions.js';
import type { createEstablishmentCommands } from '../commands/establishments.js';
import type { createLicenceCommands } from '../commands/licences.js';
import { type Change, type CommandRunner, type Created, changedColumns } from '../commands/run.js';
import type { RequestContext } from '../context.js';
import { createReader } from '../queries/read.js';
import { enforcementActionColumns, establishmentColumns, licenceColumns } from '../records.js';

/** The record commands an import runs (services.ts hands them over, bound to the import's transaction). */
export interface RecordCommands {
  establishments: ReturnType<typeof createEstablishmentCommands>;
  licences: ReturnType<typeof createLicenceCommands>;
  enforcementActions: ReturnType<typeof createEnforcementActionCommands>;
}

export const IMPORT_MODES = ['all-or-nothing', 'row-by-row'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];
export const IMPORT_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type ImportState = (typeof IMPORT_STATES)[number];

/** At most this many problems are kept with a job (problemsTotal counts them all); as many changes (counts.updated counts them all). */
export const PROBLEMS_KEPT = 1000;

/** One record of an uploaded file, as the HTTP layer decoded it against the API's write schema. */
export interface DecodedRow {
  line: number;
  /** `{ input, establishmentReference? }` when the schema accepted the record, else null. */
  data: { input: Record<string, unknown>; establishmentReference?: string } | null;
  problems: Omit<ImportProblem, 'line'>[] | null;
}

export interface ImportRequest {
  recordType: RecordType;
  format: 'csv' | 'ndjson';
  dryRun: boolean;
  mode: ImportMode;
}

/** A job as the API shows it. */
export interface ImportJob {
  id: string;
  municipalityCode: string;
  recordType: RecordType;
  format: 'csv' | 'ndjson';
  dryRun: boolean;
  mode: ImportMode;
  state: ImportState;
  phase: 'validating' | 'applying' | null;
  rowsTotal: number;
  rowsDone: number;
  counts: { created: number; updated: number; unchanged: number; rejected: number };
  problems: ImportProblem[];
  problemsTotal: number;
  changes: ImportChange[];
  cancelRequested: boolean;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

const toJob = (r: ImportRow): ImportJob => ({
  id: r.id,
  municipalityCode: r.municipalityCode,
  recordType: r.recordType as RecordType,
  format: r.format as ImportJob['format'],
  dryRun: r.dryRun,
  mode: r.mode as ImportMode,
  state: r.state as ImportState,
  phase: r.phase as ImportJob['phase'],
  rowsTotal: r.rowsTotal,
  rowsDone: r.rowsDone,
  counts: { created: r.created, updated: r.updated, unchanged: r.unchanged, rejected: r.rejected },
  problems: r.problems,
  problemsTotal: r.problemsTotal,
  changes: r.changes,
  cancelRequested: r.cancelRequested,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
});

/**
 * A job's audit entry: who uploaded or cancelled it, and what it was asked to do (its settings and
 * state, never the file's content; that is in the entries of the records it writes).
 */
const jobChange = (action: 'create' | 'update', before: ImportJob | null, after: ImportJob): Change => {
  const snapshot = (j: ImportJob) => ({
    recordType: j.recordType,
    format: j.format,
    dryRun: j.dryRun,
    mode: j.mode,
    state: j.state,
    rowsTotal: j.rowsTotal,
    cancelRequested: j.cancelRequested,
  });
  return {
    action,
    objectType: 'import',
    objectId: after.id,
    municipalityCode: after.municipalityCode,
    before: before && snapshot(before),
    after: snapshot(after),
  };
};

/** What became of one record: created, left alone, or updated in these columns (the file's names). */
type Outcome = 'created' | 'unchanged' | { updated: string[] };
/** What became of one record of a file: applied, or rejected with its problems. */
type RecordOutcome = Outcome | { problems: ImportProblem[] };

/** The counts and problems of a run so far (one pass over the file, or the batches since a resume). */
class Tally {
  created = 0;
  updated = 0;
  unchanged = 0;
  rejected = 0;
  problems: ImportProblem[] = [];
  problemsTotal = 0;
  changes: ImportChange[] = [];
  constructor(from?: ImportRow) {
    if (from) {
      this.created = from.created;
      this.updated = from.updated;
      this.unchanged = from.unchanged;
      this.rejected = from.rejected;
      this.problems = [...from.problems];
      this.problemsTotal = from.problemsTotal;
      this.changes = [...from.changes];
    }
  }
  add(outcome: RecordOutcome, record: ImportRecordRow) {
    if (typeof outcome === 'string') this[outcome] += 1;
    else if ('updated' in outcome) {
      this.updated += 1;
      const externalReference = String((record.data as NonNullable<DecodedRow['data']>).input.externalReference);
      if (this.changes.length < PROBLEMS_KEPT) this.changes.push({ line: record.line, externalReference, columns: outcome.updated });
    } else this.reject(outcome.problems);
  }
  reject(found: ImportProblem[]) {
    this.rejected += 1;
    this.problemsTotal += found.length;
    for (const p of found) if (this.problems.length < PROBLEMS_KEPT) this.problems.push(p);
  }
  /** Adds a batch's tally; `rejectionsOnly`: the batch was not written, so only its rejections count. */
  merge(batch: Tally, rejectionsOnly = false) {
    if (!rejectionsOnly) {
      this.created += batch.created;
      this.updated += batch.updated;
      this.unchanged += batch.unchanged;
      for (const c of batch.changes) if (this.changes.length < PROBLEMS_KEPT) this.changes.push(c);
    }
    this.rejected += batch.rejected;
    this.problemsTotal += batch.problemsTotal;
    for (const p of batch.problems) if (this.problems.length < PROBLEMS_KEPT) this.problems.push(p);
  }
  columns() {
    return {
      created: this.created,
      updated: this.updated,
      unchanged: this.unchanged,
      rejected: this.rejected,
      problems: this.problems,
      problemsTotal: this.problemsTotal,
      changes: this.changes,
    };
  }
}

/** A domain error of one record, as the problems of its line; anything else is not the file's fault and stops the job. */
function problemsOf(type: RecordType, line: number, err: unknown): ImportProblem[] {
  if (err instanceof RuleViolation) {
    return err.invalidParams.map((p) => ({ line, column: columnOf(type, p.name), code: p.code, reason: p.reason }));
  }
  if (err instanceof Conflict) {
    const column =
      err.code === 'external-reference-taken'
        ? 'externalReference'
        : err.code === 'licence-history-destroyed'
          ? type === 'licences'
            ? 'validFrom'
            : 'decisionDate'
          : err.code.startsWith('licence-')
            ? 'licenceNumber'
            : null;
    return [{ line, column, code: err.code, reason: err.message }];
  }
  if (err instanceof NotFound) return [{ line, column: null, code: 'not_found', reason: err.message }];
  if (err instanceof Forbidden) return [{ line, column: 'municipalityCode', code: 'forbidden', reason: err.message }];
  if (err instanceof DomainError) return [{ line, column: null, code: 'rejected', reason: err.message }];
  throw err;
}

class RowRejected extends Error {
  constructor(readonly problems: Omit<ImportProblem, 'line'>[]) {
    super('row rejected');
  }
}

/** Changed columns in the order of the file's template (the stored columns the template lacks, if any, after them). */
const inTemplateOrder = (type: RecordType, changed: string[]): string[] => {
  const template: readonly string[] = COLUMNS[type];
  return [...template.filter((c) => changed.includes(c)), ...changed.filter((c) => !template.includes(c))];
};

const unknownReference = (column: string, type: string, reference: string) =>
  new RowRejected([{ column, code: 'unknown_reference', reason: `no ${type} of this municipality has reference ${reference}` }]);

/**
 * Applies one decoded record through the same commands as POST and PUT: found by its reference, it
 * is left alone when nothing changed, replaced (If-Match: its current version) when something did,
 * and created when it is not there.
 */
async function applyRecord(
  commands: RecordCommands,
  tx: Tx,
  ctx: RequestContext,
  type: RecordType,
  data: NonNullable<DecodedRow['data']>,
): Promise<Outcome> {
  const municipality = ctx.municipalityCode as string;
  if (type === 'establishments') {
    const input = data.input as unknown as EstablishmentInput;
    const current = await findByReference(tx, 'establishment', municipality, input.externalReference as string);
    if (!current) {
      await commands.establishments.create(ctx, input);
      return 'created';
    }
    // Found by its registry id (an export of a record without a reference): it keeps having none.
    const wanted = { ...input, externalReference: current.matchedBy === 'id' ? current.row.externalReference : input.externalReference };
    const changed = changedColumns(establishmentColumns(wanted), current.row);
    if (changed.length === 0) return 'unchanged';
    await commands.establishments.replace(ctx, current.row.id, current.row.version, wanted);
    return { updated: inTemplateOrder(type, changed) };
  }
  const establishmentReference = data.establishmentReference as string;
  const establishment = await findByReference(tx, 'establishment', municipality, establishmentReference);
  if (!establishment) throw unknownReference('establishmentReference', 'establishment', establishmentReference);
  const establishmentId = establishment.row.id;
  if (type === 'licences') {
    const input = data.input as unknown as LicenceInput;
    const current = await findByReference(tx, 'licence', municipality, input.externalReference as string);
    if (!current) {
      await commands.licences.create(ctx, establishmentId, input);
      return 'created';
    }
    if (current.row.establishmentId !== establishmentId) {
      throw new RowRejected([
        { column: 'establishmentReference', code: 'establishment_immutable', reason: 'a licence cannot move to another establishment' },
      ]);
    }
    const wanted = { ...input, externalReference: current.matchedBy === 'id' ? current.row.externalReference : input.externalReference };
    const changed = changedColumns(licenceColumns(wanted), current.row);
    if (changed.length === 0) return 'unchanged';
    await commands.licences.replace(ctx, establishmentId, current.row.id, current.row.version, wanted);
    return { updated: inTemplateOrder(type, changed) };
  }
  const input = { ...(data.input as unknown as EnforcementActionInput), establishmentId };
  const current = await findByReference(tx, 'enforcement_action', municipality, input.externalReference as string);
  if (!current) {
    await commands.enforcementActions.create(ctx, input);
    return 'created';
  }
  // A file without the ZGW link columns (KEEP_IF_ABSENT) leaves the stored links as they are.
  const wanted = {
    ...input,
    zaakUrl: 'zaakUrl' in input ? (input.zaakUrl ?? null) : current.row.zaakUrl,
    besluitUrl: 'besluitUrl' in input ? (input.besluitUrl ?? null) : current.row.besluitUrl,
    externalReference: current.matchedBy === 'id' ? current.row.externalReference : input.externalReference,
  };
  const changed = [
    ...(current.row.establishmentId === establishmentId ? [] : ['establishmentReference']),
    ...changedColumns(enforcementActionColumns(wanted), current.row),
  ];
  if (changed.length === 0) return 'unchanged';
  await commands.enforcementActions.replace(ctx, current.row.id, current.row.version, wanted);
  return { updated: inTemplateOrder(type, changed) };
}

/** An error that stopped a job's run, already logged: written to the job as its end, or the job resumes later (TRANSIENT_TRIES). */
class JobFailed extends Error {
  constructor(readonly error: unknown) {
    super('import job failed', { cause: error });
  }
}

/** How many times running a job in a row may meet the database unavailable (or a deadlock) before the job fails. */
const TRANSIENT_TRIES = 5;

/** The minimal logger the import worker writes to (pino's shape). Never record content: ids and the error. */
/** The worker's log: a job's internal error, and claims that fail while the database is out (lib/repeated-failure.ts). */
export type WorkerLog = LoopLog;

const SILENT: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface ImportOptions {
  /** Records per transaction while applying (each batch commits with the job's progress). */
  batchSize: number;
  /** How long a claim on a job holds without renewal: after that another instance (or this one, restarted) resumes it. */
  leaseMs: number;
  /** How often an idle worker looks for queued jobs. */
  pollMs: number;
}

/**
 * Bulk imports as jobs (docs/import-export.md). The HTTP layer decodes the file against the write
 * schemas and `submit` stores it with its job; a worker in every instance claims queued jobs and
 * runs each record through the record commands, so rules, audit entries (reason `import <id>`),
 * statistics rollups and notifications are those of POST and PUT.
 *
 * - Validation (dry-run, and the first pass of all-or-nothing) runs every record in one transaction,
 *   each in a savepoint, and rolls it all back: later records see the earlier ones, nothing is kept.
 * - Applying runs `batchSize` records per transaction, each in a savepoint (a rejected record is
 *   reported and skipped), and commits the job's progress (rowsDone, counts, problems) with them. A
 *   service that stops mid-import leaves the job running under a lease; when the lease expires (at
 *   once after a graceful stop, which gives it up) any instance resumes it after the last commit.
 */
export function createImports(database: Database, runner: CommandRunner, commandsOn: (tx: Tx) => RecordCommands, options: ImportOptions) {
  const instance = randomUUID();
  const read = createReader(database);
  /** Live progress of the validation pass, which commits nothing until it ends: job id → records done. */
  const validating = new Map<string, number>();
  const cancelled = new Set<string>();

  const ownMunicipality = (ctx: RequestContext) => {
    if (ctx.actor.role !== 'officer' || !ctx.municipalityCode) {
      throw new Forbidden('Imports write records of one municipality: officers only.');
    }
    return ctx.municipalityCode;
  };

  /**
   * Stores a job (queued) and its decoded records in one transaction: a broken upload leaves nothing.
   * The upload is read whole first (spooled: in memory, a large one on disk), and only then is the
   * transaction begun, so a sender as slow as the request timeout allows holds no database connection
   * and no write admission while it sends. With an Idempotency-Key the key is claimed once the file
   * has been read (its fingerprint is the file's: `fingerprint()`, known only then): a retry of the
   * same upload answers the first job again and stores nothing. The job's audit entry names who
   * uploaded it.
   */
  async function submit(
    ctx: RequestContext,
    request: ImportRequest,
    rows: AsyncIterable<DecodedRow>,
    fingerprint: () => string = () => '',
  ): Promise<Created<ImportJob>> {
    const municipalityCode = ownMunicipality(ctx);
    const received = await spool(rows);
    try {
      return await store(ctx, request, municipalityCode, received, fingerprint);
    } finally {
      await received.remove();
    }
  }

  /** The job and its spooled records, written in one create. */
  function store(
    ctx: RequestContext,
    request: ImportRequest,
    municipalityCode: string,
    received: Spool<DecodedRow>,
    fingerprint: () => string,
  ): Promise<Created<ImportJob>> {
    const id = randomUUID();
    const now = new Date();
    return runner.create(
      ctx,
      async (tx) => {
        await insertImport(tx, {
          id,
          municipalityCode,
          clientId: ctx.actor.clientId,
          clientRole: ctx.actor.role,
          requestId: ctx.actor.requestId,
          // Who uploaded the file: the worker's audit entries name them, as a direct write's would.
          actorId: ctx.actor.person?.id ?? null,
          actorName: ctx.actor.person?.name ?? null,
          actorVerified: ctx.actor.person?.verified ?? null,
          recordType: request.recordType,
          format: request.format,
          dryRun: request.dryRun,
          mode: request.mode,
          state: 'queued',
          rowsTotal: 0,
          problems: [],
          createdAt: now,
          updatedAt: now,
        });
        let ord = 0;
        let batch: Parameters<typeof insertImportRows>[1] = [];
        for await (const row of received.items()) {
          batch.push({ importId: id, ord: ord++, line: row.line, municipalityCode, data: row.data, problems: row.problems });
          if (batch.length >= 500) {
            await insertImportRows(tx, batch);
            batch = [];
          }
        }
        await insertImportRows(tx, batch);
        const job = toJob(await updateImport(tx, id, { rowsTotal: ord }));
        return { value: job, changes: [jobChange('create', null, job)] };
      },
      fingerprint,
    );
  }

  async function get(ctx: RequestContext, id: string): Promise<ImportJob> {
    const row = await read.one(ctx, (tx) => findImport(tx, ctx.scope, id));
    if (!row) throw new NotFound(`Import ${id}`);
    const job = toJob(row);
    const live = validating.get(id);
    return live !== undefined && job.state === 'running' ? { ...job, rowsDone: live } : job;
  }

  /**
   * Cancels a job: at once while queued; a running one stops before its next batch (what committed
   * stays, and the counts say so). Run as a create, so that a retry with the same Idempotency-Key
   * answers the first response again (not a 409 for the import it cancelled).
   */
  async function cancel(ctx: RequestContext, id: string): Promise<Created<ImportJob>> {
    const outcome = await runner.create(ctx, async (tx) => {
      const current = await findImport(tx, ctx.scope, id, true);
      if (!current) throw new NotFound(`Import ${id}`);
      if (current.state !== 'queued' && current.state !== 'running') {
        throw new Conflict('import-finished', `Import ${id} has finished (${current.state}); there is nothing to cancel.`);
      }
      const row = await updateImport(
        tx,
        id,
        current.state === 'queued' ? { state: 'cancelled', finishedAt: new Date(), cancelRequested: true } : { cancelRequested: true },
      );
      if (current.state === 'queued') await deleteImportRows(tx, id); // it will never run: its file goes now

      const job = toJob(row);
      return { value: job, changes: [jobChange('update', toJob(current), job)] };
    });
    if (!outcome.replayed && outcome.value.state === 'running') cancelled.add(id);
    return outcome;
  }

  const jobContext = (job: ImportRow): RequestContext => ({
    actor: {
      clientId: job.clientId,
      role: job.clientRole as 'officer',
      requestId: `import:${job.id}`,
      reason: `import ${job.id}`,
      person: job.actorId === null ? null : { id: job.actorId, name: job.actorName, verified: job.actorVerified ?? false },
    },
    scope: { kind: 'municipality', code: job.municipalityCode },
    municipalityCode: job.municipalityCode,
    readFromPrimary: true,
    idempotency: null,
  });

  /** One record in its own savepoint: its outcome, or its problems (the savepoint rolled back). */
  async function attempt(tx: Tx, ctx: RequestContext, type: RecordType, record: ImportRecordRow): Promise<RecordOutcome> {
    if (!record.data) return { problems: (record.problems ?? []).map((p) => ({ line: record.line, ...p })) };
    const data = record.data as NonNullable<DecodedRow['data']>;
    try {
      return await tx.transaction((sp) => inTenant(sp, ctx.scope, (t) => applyRecord(commandsOn(t), t, ctx, type, data)));
    } catch (err) {
      if (err instanceof RowRejected) return { problems: err.problems.map((p) => ({ line: record.line, ...p })) };
      return { problems: problemsOf(type, record.line, err) };
    }
  }

  /**
   * A batch of records, with the outcomes of applying them one after another in file order. New
   * enforcement actions (most of a large import) are created together by one command
   * (`createMany`: the rules of a create, a few statements for the lot); every other record (an
   * update, an unchanged record, an action whose reference came earlier in the batch, other record
   * types) goes through `attempt`, after those creates. Should the batch create fail in the
   * database, its savepoint rolls back and its records go through `attempt` as well.
   */
  async function attemptBatch(tx: Tx, ctx: RequestContext, job: ImportRow, records: ImportRecordRow[], tally: Tally): Promise<void> {
    const type = job.recordType as RecordType;
    const outcomes: (RecordOutcome | undefined)[] = new Array(records.length);
    const oneByOne = type === 'enforcement-actions' ? await createActionsTogether(tx, ctx, records, outcomes) : records.map((_, i) => i);
    for (const i of oneByOne) outcomes[i] = await attempt(tx, ctx, type, records[i] as ImportRecordRow);
    for (const [i, outcome] of outcomes.entries()) tally.add(outcome as RecordOutcome, records[i] as ImportRecordRow);
  }

  /** Creates the batch's new actions with one command; returns the indexes of the records left for `attempt`. */
  async function createActionsTogether(
    tx: Tx,
    ctx: RequestContext,
    records: ImportRecordRow[],
    outcomes: (RecordOutcome | undefined)[],
  ): Promise<number[]> {
    const municipality = ctx.municipalityCode as string;
    const data = records.map((r) => r.data as DecodedRow['data']);
    const reference = (d: NonNullable<DecodedRow['data']>) => (d.input as { externalReference: string }).externalReference;
    const live = data.flatMap((d) => (d ? [d] : []));
    const [establishments, current] = await inTenant(tx, ctx.scope, async (t) => [
      await findManyByReference(t, 'establishment', municipality, [...new Set(live.map((d) => d.establishmentReference as string))]),
      await findManyByReference(t, 'enforcement_action', municipality, [...new Set(live.map(reference))]),
    ]);
    const oneByOne: number[] = [];
    const creates: { at: number; input: EnforcementActionInput }[] = [];
    const seen = new Set<string>();
    for (const [i, d] of data.entries()) {
      // Records with decoding problems, unknown establishments, updates and repeats go one by one.
      const establishment = d && establishments.get(d.establishmentReference as string);
      if (!d || !establishment || current.has(reference(d)) || seen.has(reference(d))) {
        oneByOne.push(i);
        continue;
      }
      seen.add(reference(d));
      creates.push({ at: i, input: { ...(d.input as unknown as EnforcementActionInput), establishmentId: establishment.row.id } });
    }
    if (creates.length === 0) return oneByOne;
    let made: Awaited<ReturnType<RecordCommands['enforcementActions']['createMany']>>;
    try {
      made = await tx.transaction((sp) =>
        commandsOn(sp).enforcementActions.createMany(
          ctx,
          creates.map((c) => c.input),
        ),
      );
    } catch {
      // Not an input's fault (those come back as errors): each record again on its own, which reports what it is.
      return [...oneByOne, ...creates.map((c) => c.at)].sort((a, b) => a - b);
    }
    made.forEach((result, k) => {
      const { at } = creates[k] as (typeof creates)[number];
      const line = (records[at] as ImportRecordRow).line;
      outcomes[at] = result instanceof DomainError ? { problems: problemsOf('enforcement-actions', line, result) } : 'created';
    });
    return oneByOne;
  }

  class Rollback extends Error {}

  /**
   * A validation pass commits nothing, so on PostgreSQL (where several instances share the queue) its
   * lease, and its progress for the instances that ask, are renewed beside it, from another pooled
   * connection, every third of the lease. Should the lease be lost all the same, the pass stops and its
   * result is dropped. The embedded database has one instance, and one connection, which the pass holds.
   */
  function renewWhileValidating(job: ImportRow): { lost: () => boolean; stop: () => Promise<void> } {
    if (database.kind !== 'postgres') return { lost: () => false, stop: async () => undefined };
    let lost = false;
    let renewing: Promise<void> | null = null;
    const timer = setInterval(
      () => {
        if (renewing) return;
        const rowsDone = validating.get(job.id) ?? 0;
        renewing = withTenant(database.db, { kind: 'all' }, (tx) =>
          renewValidation(tx, job.id, instance, new Date(Date.now() + options.leaseMs), rowsDone),
        )
          .then((held) => {
            if (!held) lost = true;
          })
          .catch((err: unknown) => log.warn({ err, importId: job.id }, 'the lease of a validating import could not be renewed'))
          .finally(() => {
            renewing = null;
          });
      },
      Math.max(50, Math.floor(options.leaseMs / 3)),
    );
    timer.unref();
    // Stopped once the pass ends, and only after a renewal under way has finished: none lands on the applying job.
    const stop = async () => {
      clearInterval(timer);
      await renewing;
    };
    return { lost: () => lost, stop };
  }

  /** Every record in one transaction that is rolled back at the end: what the import would do. */
  async function validate(job: ImportRow): Promise<Tally | 'cancelled' | 'stopped'> {
    const ctx = jobContext(job);
    const tally = new Tally();
    validating.set(job.id, 0);
    let outcome: Tally | 'cancelled' | 'stopped' = tally;
    const lease = renewWhileValidating(job);
    try {
      await database.db.transaction(async (tx) => {
        // A cancel made on this instance, or on another one (PostgreSQL: only the job's row says so).
        const requested = async () =>
          (await inTenant(tx, { kind: 'all' }, (t) => findImport(t, { kind: 'all' }, job.id)))?.cancelRequested === true;
        for (let ord = 0; ord < job.rowsTotal; ) {
          const rows = await inTenant(tx, ctx.scope, (t) => importRowsFrom(t, job.id, ord, options.batchSize));
          if (rows.length === 0) break;
          await attemptBatch(tx, ctx, job, rows, tally);
          ord += rows.length;
          validating.set(job.id, ord);
          if (cancelled.has(job.id) || (await requested())) {
            outcome = 'cancelled';
            break;
          }
          if (stopping || lease.lost()) {
            outcome = 'stopped'; // nothing was kept: the next instance (or the one that took the job) validates from the start
            break;
          }
        }
        throw new Rollback();
      });
    } catch (err) {
      if (!(err instanceof Rollback)) throw err;
    } finally {
      await lease.stop();
      validating.delete(job.id);
    }
    return outcome;
  }

  /**
   * Changes the job only while this instance holds it: a validation pass longer than the lease may
   * have been taken over by another instance, and then this one's result is dropped (never applied).
   */
  const owned = (job: ImportRow, values: Parameters<typeof updateImport>[2]) =>
    withTenant(database.db, { kind: 'all' }, (tx) => updateOwnedImport(tx, job.id, instance, values));

  /** Ends a job this instance holds; its stored file goes with the same commit (the job's counts and problems stay). */
  const finish = (job: ImportRow, values: Parameters<typeof updateImport>[2]) =>
    withTenant(database.db, { kind: 'all' }, async (tx) => {
      const ended = await updateOwnedImport(tx, job.id, instance, {
        phase: null,
        ...values,
        finishedAt: new Date(),
        leaseOwner: null,
        leaseUntil: null,
      });
      if (ended) await deleteImportRows(tx, job.id);
      return ended;
    });

  /** Batches from rowsDone on, each one transaction with the job's progress; stops at a cancel. */
  async function apply(job: ImportRow): Promise<void> {
    const ctx = jobContext(job);
    const tally = new Tally(job);
    let done = job.rowsDone;
    while (done < job.rowsTotal) {
      const stop = await database.db.transaction(async (tx) => {
        const [current, revoked] = await inTenant(tx, { kind: 'all' }, async (t) => [
          await findImport(t, { kind: 'all' }, job.id, true),
          // An OpenID Connect client is no API client: none to revoke here (its provider stops its tokens).
          job.clientId ? (await findApiClient(t, job.clientId))?.revokedAt != null : false,
        ]);
        if (!current || current.leaseOwner !== instance) return 'lost' as const;
        if (current.cancelRequested) return 'cancelled' as const;
        // Revoking a client stops what its token started: a stolen token's upload writes nothing more.
        if (revoked) return 'revoked' as const;
        const rows = await inTenant(tx, ctx.scope, (t) => importRowsFrom(t, job.id, done, options.batchSize));
        const batch = new Tally();
        // All-or-nothing checked every record first, but the registry may have changed since (an officer's
        // edit): a record refused now stops the import, and nothing of its batch is written.
        const refused = () => job.mode === 'all-or-nothing' && batch.rejected > 0;
        try {
          await tx.transaction(async (sp) => {
            await attemptBatch(sp, ctx, job, rows, batch);
            if (refused()) throw new Rollback();
          });
        } catch (err) {
          if (!(err instanceof Rollback)) throw err;
        }
        tally.merge(batch, refused());
        await inTenant(tx, { kind: 'all' }, (t) =>
          updateImport(t, job.id, {
            rowsDone: refused() ? done : done + rows.length,
            ...tally.columns(),
            leaseUntil: new Date(Date.now() + options.leaseMs),
          }),
        );
        if (refused()) return 'refused' as const;
        done += rows.length;
        return rows.length === 0 ? ('lost' as const) : null;
      });
      if (stop === 'lost') return;
      if (stop === 'refused') {
        await finish(job, { state: 'failed' });
        return;
      }
      if (stop === 'cancelled') {
        await finish(job, { state: 'cancelled' });
        return;
      }
      if (stop === 'revoked') {
        const problem = {
          line: 0,
          column: null,
          code: 'client_revoked',
          reason: 'the API client that uploaded the file was revoked: nothing more is written',
        };
        await finish(job, {
          state: 'cancelled',
          problems: [...tally.problems.slice(0, PROBLEMS_KEPT - 1), problem],
          problemsTotal: tally.problemsTotal + 1,
        });
        return;
      }
      if (stopping) return; // a graceful stop: give the lease up, so the next instance resumes at once
      // Let waiting requests have the connection between batches (the embedded database has one).
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await finish(job, { state: tally.rejected > 0 && job.mode === 'all-or-nothing' ? 'failed' : 'succeeded', phase: null });
  }

  async function process(job: ImportRow): Promise<void> {
    if (job.phase !== 'applying' && (job.dryRun || job.mode === 'all-or-nothing')) {
      if (!(await owned(job, { phase: 'validating', rowsDone: 0, ...new Tally().columns() }))) return;
      const result = await validate(job);
      if (result === 'stopped') return;
      if (result === 'cancelled') {
        await finish(job, { state: 'cancelled' });
        return;
      }
      if (job.dryRun) {
        await finish(job, { state: 'succeeded', rowsDone: job.rowsTotal, ...result.columns() });
        return;
      }
      if (result.rejected > 0) {
        // All or nothing: nothing was written; the report says what would have been.
        await finish(job, { state: 'failed', rowsDone: job.rowsTotal, ...result.columns() });
        return;
      }
      const applying = await owned(job, { phase: 'applying', rowsDone: 0 });
      if (!applying) return;
      job = applying;
    } else if (job.phase !== 'applying') {
      const applying = await owned(job, { phase: 'applying' });
      if (!applying) return;
      job = applying;
    }
    await apply(job);
  }

  let stopping = false;
  let started = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let log = SILENT;

  /** Jobs that met the database unavailable, and how many times in a row (this instance). */
  const interrupted = new Map<string, number>();

  /** Claims and runs jobs until none waits; true when it ran one. */
  async function runOnce(): Promise<boolean> {
    const job = await withTenant(database.db, { kind: 'all' }, (tx) => claimImport(tx, instance, options.leaseMs));
    if (!job) return false;
    try {
      await process(job);
      interrupted.delete(job.id);
    } catch (err) {
      const tries = (interrupted.get(job.id) ?? 0) + 1;
      if (isDatabaseUnavailable(err) && tries < TRANSIENT_TRIES) {
        // Not the file's fault and likely to pass (a deadlock, a statement timeout, a lost connection): the batch in
        // hand was rolled back, its committed predecessors stand, and the job resumes from them once claimed again.
        interrupted.set(job.id, tries);
        log.warn({ err, importId: job.id, tries }, 'import interrupted by the database; it resumes from its last committed batch');
        await withTenant(database.db, { kind: 'all' }, (tx) => releaseLeases(tx, instance)).catch(() => undefined);
        throw new JobFailed(err);
      }
      interrupted.delete(job.id);
      // The error goes to the service log, never to the job: a database error's text can hold SQL and the
      // values of the records (the import's own content), which its problems must not show.
      log.error({ err, importId: job.id }, 'import stopped on an internal error');
      // The problems so far are the job's row's (the batches committed since the claim added theirs), not the claim's.
      const current =
        (await withTenant(database.db, { kind: 'all' }, (tx) => findImport(tx, { kind: 'all' }, job.id)).catch(() => null)) ?? job;
      // Should the database still fail, the job stays running under its lease and is resumed when the lease ends.
      await finish(job, {
        state: 'failed',
        problems: [
          ...current.problems.slice(0, PROBLEMS_KEPT - 1),
          {
            line: 0,
            column: null,
            code: 'internal_error',
            reason: `the import stopped on an internal error; the service log has it under importId ${job.id}`,
          },
        ],
        problemsTotal: current.problemsTotal + 1,
      }).catch((finishErr: unknown) =>
        log.error({ err: finishErr, importId: job.id }, 'import could not be marked failed; its lease will expire'),
      );
      throw new JobFailed(err);
    } finally {
      cancelled.delete(job.id);
    }
    return true;
  }

  // Claims that fail round after round (the database out): said once, then once a minute, the wait growing.
  const claims = repeatedFailure(
    {
      first: 'import worker could not claim a job; it looks again',
      still: 'import worker still cannot claim jobs',
      again: 'import worker claims jobs again',
    },
    options.pollMs,
  );

  function schedule(delay: number) {
    if (stopping) return;
    timer = setTimeout(() => {
      running = (async () => {
        let next = options.pollMs;
        try {
          next = (await runOnce()) ? 0 : options.pollMs;
          claims.succeeded(log);
        } catch (err) {
          // A job's own error is logged and written to it in runOnce; this logs the rest (a claim that failed).
          if (err instanceof JobFailed) claims.succeeded(log);
          else next = claims.failed(log, err);
        }
        running = null;
        schedule(next);
      })();
    }, delay);
    timer.unref();
  }

  const worker = {
    /** Starts claiming jobs; an internal error that stops one is written to `to`. */
    start(to: WorkerLog = SILENT) {
      log = to;
      stopping = false;
      started = true;
      schedule(0);
    },
    /** Stops after the batch in hand; a job in progress gives its lease up and stays running, for the next start. */
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await running;
      await withTenant(database.db, { kind: 'all' }, (tx) => releaseLeases(tx, instance)).catch((err) =>
        log.error({ err }, 'import leases could not be given up at stop; another instance takes them when they expire'),
      );
    },
    /** Wakes an idle worker at once (after an upload). */
    poke() {
      if (started && !stopping && !running) {
        if (timer) clearTimeout(timer);
        schedule(0);
      }
    },
    runOnce,
    instance,
  };

  return { submit, get, cancel, worker };
}

export type Imports = ReturnType<typeof createImports>;
