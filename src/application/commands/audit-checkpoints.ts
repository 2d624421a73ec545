import { Conflict, NotFound } from '../../domain/errors.js';
import { type Checkpoint, type SigningKey, storeCheckpoint } from '../../infrastructure/audit/checkpoints.js';
import type { RequestContext } from '../context.js';
import type { CommandRunner, Created } from './run.js';

const signingOff = () =>
  new Conflict(
    'audit-signing-off',
    'Checkpoints are off: no audit signing key is configured (AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE; see docs/audit-trail.md).',
  );

/**
 * Signed checkpoints of the audit chain (src/infrastructure/audit/checkpoints.ts): on demand (an
 * admin) and periodically (the server's timer, AUDIT_CHECKPOINT_INTERVAL_S). A checkpoint is not a
 * record change, so it writes no audit entry; it runs through the one transaction helper all the same.
 */
export function createAuditCheckpointCommands(runner: CommandRunner, key: SigningKey | null, written: (at: Date) => void = () => {}) {
  /** A committed checkpoint is reported (the metrics' last-checkpoint age), then returned. */
  const noted = <C extends Checkpoint | null>(c: C): C => {
    if (c) written(new Date(c.signedAt));
    return c;
  };

  /**
   * Signs the current head now (an admin's request). Run as a create, so that a retry with the same
   * Idempotency-Key answers the first checkpoint again and signs no other, even when the key has
   * been switched off since: the stored answer is found before the key is asked for.
   */
  async function sign(ctx: RequestContext): Promise<Created<Checkpoint>> {
    const created = await runner.create(ctx, async (tx) => {
      if (!key) throw signingOff();
      return { value: (await storeCheckpoint(tx, key)) as Checkpoint, changes: [] };
    });
    if (!created.replayed) noted(created.value);
    return created;
  }

  /** Signs the current head unless the latest checkpoint already covers it (the periodic signer). */
  function signIfMoved(ctx: RequestContext): Promise<Checkpoint | null> {
    if (!key) throw signingOff();
    return runner.run(ctx, async (tx) => ({ value: await storeCheckpoint(tx, key, true), changes: [] })).then(noted);
  }

  /** The public key, for outside verifiers: PEM (SPKI) and JWK. */
  function publicKey() {
    if (!key) throw new NotFound('The audit signing key (checkpoints are off)');
    return {
      keyId: key.keyId,
      algorithm: 'Ed25519' as const,
      pem: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      jwk: key.publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string },
    };
  }

  return { sign, signIfMoved, publicKey, enabled: key !== null };
}
