import { AsyncLocalStorage } from 'node:async_hooks';
import type { Tx } from '../db/client.js';

/**
 * Work a request attaches to its write transaction: `begin` runs first inside the transaction,
 * `beforeCommit` runs last, with the transaction's result, so whatever it writes commits or rolls
 * back together with the change itself. `committed` or `rolledBack` runs when it is over.
 */
export interface TransactionHooks {
  begin?(tx: Tx): Promise<void>;
  beforeCommit?(tx: Tx, result: unknown): Promise<void>;
  committed?(): void;
  rolledBack?(): void;
}

interface UnitOfWork {
  hooks: TransactionHooks[];
}

const storage = new AsyncLocalStorage<UnitOfWork>();

/** Runs `fn` (the rest of a request) with its own, initially empty, unit of work. */
export function runInUnitOfWork<T>(fn: () => T): T {
  return storage.run({ hooks: [] }, fn);
}

/** Attaches hooks to every write transaction of the current request (no-op outside one). */
export function addTransactionHooks(hooks: TransactionHooks): void {
  storage.getStore()?.hooks.push(hooks);
}

/** Called by `inTransaction`: the current request's hooks, if any. */
export function currentTransactionHooks(): readonly TransactionHooks[] {
  return storage.getStore()?.hooks ?? [];
}
