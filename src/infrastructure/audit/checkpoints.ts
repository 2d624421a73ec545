import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import { asc, desc, eq } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { auditCheckpoints, auditLog } from '../db/schema.js';
import { type PageRequest, selectPage } from '../repositories/rows.js';
import { GENESIS_HASH } from './chain.js';

/**
 * Signed checkpoints of the audit chain, like Certificate Transparency's signed tree heads: the
 * service signs (seq, headHash, signedAt) of the chain head with an Ed25519 key. Whoever holds the
 * public key and a checkpoint can later prove that the chain up to `seq` was not rewritten or cut:
 * the entry at `seq` must still have `headHash`, and the hash chain ties every earlier entry to it.
 *
 * The signed statement is the RFC 8785 canonical JSON of
 *   {"format":"enforcement-registry/audit-checkpoint/v1","headHash":…,"seq":…,"signedAt":…}
 * (UTF-8; signedAt as ISO 8601 UTC with milliseconds), and the signature is Ed25519 over those bytes,
 * base64url. The key id is the SHA-256 (hex) of the public key's DER SubjectPublicKeyInfo.
 */
export const CHECKPOINT_FORMAT = 'enforcement-registry/audit-checkpoint/v1';

export interface Checkpoint {
  id: string;
  seq: number;
  headHash: string;
  signedAt: string;
  keyId: string;
  signature: string;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export const checkpointStatement = (c: Pick<Checkpoint, 'seq' | 'headHash' | 'signedAt'>): Buffer =>
  Buffer.from(canonicalize({ format: CHECKPOINT_FORMAT, headHash: c.headHash, seq: c.seq, signedAt: c.signedAt }) ?? '', 'utf8');

export const keyIdOf = (publicKey: KeyObject) =>
  createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');

/** An Ed25519 private key (PKCS#8 PEM) → the signing key; throws on anything else. */
export function signingKeyFromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key');
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/** An Ed25519 public key as PEM (SPKI) or JWK (OKP, crv Ed25519). */
export function publicKeyFrom(text: string): KeyObject {
  const trimmed = text.trim();
  const key = trimmed.startsWith('{')
    ? createPublicKey({ key: JSON.parse(trimmed) as import('node:crypto').JsonWebKey, format: 'jwk' })
    : createPublicKey(trimmed);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return key;
}

export function signCheckpoint(key: SigningKey, head: { seq: number; headHash: string }, at = new Date()): Checkpoint {
  const c = { id: randomUUID(), seq: head.seq, headHash: head.headHash, signedAt: at.toISOString(), keyId: key.keyId };
  return { ...c, signature: sign(null, checkpointStatement(c), key.privateKey).toString('base64url') };
}

/** Whether `c` is signed by `publicKey` (its key id and its signature). */
export function checkpointSignedBy(c: Checkpoint, publicKey: KeyObject): boolean {
  if (c.keyId !== keyIdOf(publicKey)) return false;
  try {
    return verify(null, checkpointStatement(c), publicKey, Buffer.from(c.signature, 'base64url'));
  } catch {
    return false;
  }
}

/** The chain head as committed now: seq 0 and 64 zeros for an empty chain. */
export async function chainHead(q: Queryable): Promise<{ seq: number; headHash: string }> {
  const [head] = await q.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
  return head ? { seq: head.seq, headHash: head.hash } : { seq: 0, headHash: GENESIS_HASH };
}

const toCheckpoint = (r: typeof auditCheckpoints.$inferSelect): Checkpoint => ({
  id: r.id,
  seq: r.seq,
  headHash: r.headHash,
  // A stored time that is no time (tampered) is no statement the key signed: its signature fails, it does not throw.
  signedAt: Number.isNaN(r.signedAt.getTime()) ? String(r.signedAt) : r.signedAt.toISOString(),
  keyId: r.keyId,
  signature: r.signature,
});

/**
 * Signs and stores a checkpoint of the current head. `onlyIfMoved`: none when the latest checkpoint
 * already covers this head (the periodic signer does not repeat itself while nothing is written).
 */
export async function storeCheckpoint(q: Queryable, key: SigningKey, onlyIfMoved = false): Promise<Checkpoint | null> {
  const head = await chainHead(q);
  if (onlyIfMoved) {
    const [latest] = await q.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq), desc(auditCheckpoints.signedAt)).limit(1);
    if (latest && latest.seq === head.seq && latest.headHash === head.headHash && latest.keyId === key.keyId) return null;
  }
  const c = signCheckpoint(key, head);
  await q.insert(auditCheckpoints).values({ ...c, signedAt: new Date(c.signedAt) });
  return c;
}

export async function listCheckpoints(q: Queryable, page: PageRequest) {
  const order = [asc(auditCheckpoints.seq), asc(auditCheckpoints.signedAt), asc(auditCheckpoints.id)];
  const { rows, totalItems } = await selectPage(q, auditCheckpoints, undefined, order, page);
  return { items: rows.map(toCheckpoint), totalItems };
}

export interface CheckpointReport {
  checkpointsChecked: number;
  /** The first checkpoint that does not hold, in words, or null. */
  problem: string | null;
  firstBrokenSeq: number | null;
}

/**
 * Checks the chain against every checkpoint (stored ones, plus any kept outside and passed in):
 * each must be signed by `publicKey`, and the entry at its seq must still have its hash. Run it
 * after the chain walk held, which ties every earlier entry to that one.
 */
export async function verifyCheckpoints(q: Queryable, publicKey: KeyObject, extra: readonly Checkpoint[] = []): Promise<CheckpointReport> {
  const stored = (await q.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.seq))).map(toCheckpoint);
  const all = [...stored, ...extra].sort((a, b) => a.seq - b.seq);
  let checked = 0;
  for (const c of all) {
    const which = `checkpoint ${c.id} (seq ${c.seq}, signed at ${c.signedAt})`;
    const broken = (problem: string): CheckpointReport => ({ checkpointsChecked: checked, problem, firstBrokenSeq: c.seq || null });
    if (!checkpointSignedBy(c, publicKey)) return broken(`${which} is not signed by this service's audit key`);
    if (c.seq === 0) {
      if (c.headHash !== GENESIS_HASH) return broken(`${which} is malformed: an empty chain's head is 64 zeros`);
    } else {
      const [entry] = await q.select({ hash: auditLog.hash }).from(auditLog).where(eq(auditLog.seq, c.seq));
      if (!entry) return broken(`${which}: entry ${c.seq} is gone — the end of the trail was cut off after this checkpoint`);
      if (entry.hash !== c.headHash) {
        return broken(`${which}: entry ${c.seq} no longer has the signed hash — the trail was rewritten up to this checkpoint`);
      }
    }
    checked += 1;
  }
  return { checkpointsChecked: checked, problem: null, firstBrokenSeq: null };
}
