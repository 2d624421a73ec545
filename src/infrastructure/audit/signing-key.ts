import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type SigningKey, signingKeyFromPem } from './checkpoints.js';

/** The file the embedded database's key is generated into, inside DATA_DIR. */
export const GENERATED_KEY_FILE = 'audit-signing-key.pem';

/** A key variable that does not hold an Ed25519 private key: names the variable, never the value. */
export class SigningKeyError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
  }
}

export interface SigningKeyConfig {
  AUDIT_SIGNING_KEY?: string | undefined;
  AUDIT_SIGNING_KEY_FILE?: string | undefined;
  DATA_DIR: string;
}

export type KeySource = 'AUDIT_SIGNING_KEY' | 'AUDIT_SIGNING_KEY_FILE' | 'DATA_DIR' | 'generated' | 'none';

function parse(variable: string, pem: string): SigningKey {
  try {
    return signingKeyFromPem(pem);
  } catch {
    throw new SigningKeyError(variable, 'must be an Ed25519 private key in PKCS#8 PEM (openssl genpkey -algorithm ed25519)');
  }
}

/**
 * The audit signing key: AUDIT_SIGNING_KEY (PEM) or the file AUDIT_SIGNING_KEY_FILE (not both: config.ts), else — on
 * the embedded database only — DATA_DIR/audit-signing-key.pem, generated (mode 0600) on first start
 * when `generate` is set. On PostgreSQL without a key: none (checkpoints off; the server warns).
 */
export function resolveSigningKey(
  config: SigningKeyConfig,
  database: 'pglite' | 'postgres',
  generate: boolean,
): { key: SigningKey | null; source: KeySource } {
  if (config.AUDIT_SIGNING_KEY) return { key: parse('AUDIT_SIGNING_KEY', config.AUDIT_SIGNING_KEY), source: 'AUDIT_SIGNING_KEY' };
  if (config.AUDIT_SIGNING_KEY_FILE) {
    let pem: string;
    try {
      pem = readFileSync(config.AUDIT_SIGNING_KEY_FILE, 'utf8');
    } catch {
      throw new SigningKeyError('AUDIT_SIGNING_KEY_FILE', 'cannot be read');
    }
    return { key: parse('AUDIT_SIGNING_KEY_FILE', pem), source: 'AUDIT_SIGNING_KEY_FILE' };
  }
  if (database !== 'pglite') return { key: null, source: 'none' };
  const file = path.join(config.DATA_DIR, GENERATED_KEY_FILE);
  if (existsSync(file)) return { key: parse(`${GENERATED_KEY_FILE} in DATA_DIR`, readFileSync(file, 'utf8')), source: 'DATA_DIR' };
  if (!generate) return { key: null, source: 'none' };
  mkdirSync(config.DATA_DIR, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  return { key: parse(GENERATED_KEY_FILE, pem), source: 'generated' };
}
