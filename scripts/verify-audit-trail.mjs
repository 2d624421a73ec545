#!/usr/bin/env node
/**
 * An outside verifier of the registry's audit trail: it needs the public key and the data, nothing of
 * the service's code. It re-implements the chain's formula (docs/audit-trail.md) and checks the
 * chain against every signed checkpoint: the stored ones and any you kept yourself.
 *
 *   node scripts/verify-audit-trail.mjs --public-key key.pem (--database-url postgres://… | --data-dir DIR)
 *     [--checkpoints saved.json]
 *
 * --public-key   the key from GET /v1/audit-trail/public-key: its `pem` saved as a file, or the JWK as JSON
 * --database-url any PostgreSQL holding the registry's tables, e.g. a restored `pg_dump` of it
 * --data-dir     a copy of the embedded database's folder (DATA_DIR; not the live one while the service runs)
 * --checkpoints  a JSON file with checkpoints fetched earlier from GET /v1/audit-trail/checkpoints (the
 *                response, or its `items`): they count even if someone removed them from the database
 *
 * Prints one JSON report and exits 0 (intact), 1 (broken) or 2 (could not run).
 * Needs only `pg`, `@electric-sql/pglite` (for --data-dir) and `canonicalize`, all in this repository.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';

const GENESIS = '0'.repeat(64);
const FORMAT = 'enforcement-registry/audit-checkpoint/v1';
/** What a redaction leaves in place of a text (docs/audit-trail.md#redaction-of-personal-data). */
const REDACTED = '[removed: personal data]';
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!out['public-key'] || !(out['database-url'] || out['data-dir'])) {
    process.stderr.write('usage: verify-audit-trail.mjs --public-key FILE (--database-url URL | --data-dir DIR) [--checkpoints FILE]\n');
    process.exit(2);
  }
  return out;
}

/** Runs SQL on PostgreSQL or on a copy of the embedded database; rows as plain objects. */
async function connect(o) {
  if (o['database-url']) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: o['database-url'] });
    await client.connect();
    // One snapshot for every query (the database may be live): a checkpoint committed after the walk,
    // of entries it never saw, would otherwise look like a cut-off trail.
    await client.query('begin isolation level repeatable read read only');
    return { query: async (text, params) => (await client.query(text, params)).rows, close: () => client.end() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir: o['data-dir'] });
  return { query: async (text, params) => (await db.query(text, params)).rows, close: () => db.close() };
}

const iso = (v) => (v instanceof Date ? v : new Date(v)).toISOString();
/** A checkpoint's time as signed; one that is no time (tampered) fails its signature instead of stopping the run. */
const signedAt = (v) => {
  try {
    return iso(v);
  } catch {
    return String(v);
  }
};

/** The entry's content as the chain hashes it (format 2: contentHash over this canonical JSON). */
const content = (r) => ({
  id: r.id,
  occurredAt: iso(r.occurred_at),
  clientId: r.client_id,
  clientRole: r.client_role,
  action: r.action,
  objectType: r.object_type,
  objectId: r.object_id,
  municipalityCode: r.municipality_code,
  before: r.before ?? null,
  after: r.after ?? null,
  reason: r.reason,
  requestId: r.request_id,
  // The acting person, only when the entry names one (entries from before migration 0015 do not).
  ...(r.actor_id == null ? {} : { actor: { id: r.actor_id, name: r.actor_name, verified: r.actor_verified } }),
});

/** A payload blanked by a destruction (Archiefwet): its content can no longer be recomputed. */
const isBlanked = (r) => r.before == null && r.after == null && r.reason == null;

/** The record types retention destroys: no other has destroy entries. */
const DESTROYED_TYPES = new Set(['enforcement_action', 'licence', 'establishment']);

/** The entries a `destroy` entry says it blanked. */
const blankedBy = (r) => {
  const listed = r.after?.auditEntries;
  return Array.isArray(listed) ? listed.filter((n) => Number.isInteger(n)) : [];
};

/** The hash of what a destruction keeps of an entry: its content but before, after and reason, with its seq. */
const keptFieldsHash = (s, entry) => {
  const { before: _before, after: _after, reason: _reason, ...kept } = entry;
  return sha256(canonicalize({ seq: s, ...kept }));
};

async function main() {
  const o = args();
  const keyText = readFileSync(o['public-key'], 'utf8').trim();
  const publicKey = keyText.startsWith('{') ? createPublicKey({ key: JSON.parse(keyText), format: 'jwk' }) : createPublicKey(keyText);
  const keyId = sha256(publicKey.export({ type: 'spki', format: 'der' }));
  const db = await connect(o);
  const report = { ok: true, entriesChecked: 0, lastSeq: 0, headHash: GENESIS, checkpointsChecked: 0, keyId, problem: null };
  const fail = (problem) => {
    report.ok = false;
    report.problem = problem;
  };
  try {
    // 1. The chain, in batches: seq without gaps, prevHash links, content and entry hashes.
    const hashes = new Map();
    let prev = GENESIS;
    let seq = 0;
    let formatTwo = false;
    // Blanked entries are accepted once a later destroy entry (whose own content holds) lists them,
    // and, when it recorded them (keptFieldsHashes), the hash of the fields they kept still matches.
    const unaccounted = new Map();
    // A redaction (personal data removed) changes an entry's content in place of texts: accepted when a
    // later `redact` entry about the same record lists its seq with the content hash it gives now.
    // Every field it names must hold the redaction's fixed text now, and a destroy or redact entry is never redacted.
    const claims = new Map();
    for (const r of await db.query(`select seq, object_type, object_id, "after" from audit_log where action = 'redact'`)) {
      const listed = r.after?.redactedEntries;
      for (const item of Array.isArray(listed) ? listed : []) {
        if (!Number.isInteger(item?.seq)) continue;
        const claim = { by: Number(r.seq), record: `${r.object_type}:${r.object_id}`, fields: item.fields, contentHash: item.contentHash };
        claims.set(item.seq, [...(claims.get(item.seq) ?? []), claim]);
      }
    }
    const valueAt = (r, field) => {
      if (field === 'reason') return r.reason;
      const [side, ...path] = field.split('.');
      let at = side === 'before' ? r.before : side === 'after' ? r.after : undefined;
      for (const key of path) at = at !== null && typeof at === 'object' && !Array.isArray(at) ? at[key] : undefined;
      return at;
    };
    const redacted = (s, r, hash) =>
      r.action !== 'destroy' &&
      r.action !== 'redact' &&
      (claims.get(s) ?? []).some(
        (c) =>
          c.by > s &&
          c.record === `${r.object_type}:${r.object_id}` &&
          Array.isArray(c.fields) &&
          c.fields.length > 0 &&
          c.fields.every((f) => typeof f === 'string' && valueAt(r, f) === REDACTED) &&
          c.contentHash === hash,
      );
    walk: for (;;) {
      // The first batch from the lowest seq stored: an entry put in below seq 1 is no part of the chain.
      const rows = await db.query('select * from audit_log where $1::bigint is null or seq > $1 order by seq limit 1000', [
        seq === 0 ? null : seq,
      ]);
      if (rows.length === 0) break;
      for (const r of rows) {
        const s = Number(r.seq);
        if (s < 1) {
          fail(`entry ${s} lies outside the chain, which starts at seq 1`);
          break walk;
        }
        if (s !== seq + 1) {
          fail(`entry ${seq + 1} is missing`);
          break walk;
        }
        if (r.prev_hash !== prev) {
          fail(`entry ${s}: prevHash does not match the previous entry's hash`);
          break walk;
        }
        let entry;
        try {
          entry = content(r);
        } catch {
          fail(`entry ${s}: content cannot be read as an entry's`); // a time that is no time, say
          break walk;
        }
        let expected;
        if (r.content_hash == null) {
          if (formatTwo) {
            fail(`entry ${s}: a format-1 entry follows a format-2 entry`);
            break walk;
          }
          // A blanked format-1 entry keeps its hash, which its content no longer gives.
          expected = sha256(canonicalize({ seq: s, ...entry, prevHash: r.prev_hash }));
          if (expected !== r.hash && isBlanked(r)) {
            unaccounted.set(s, { kept: keptFieldsHash(s, entry), record: `${r.object_type}:${r.object_id}` });
            expected = r.hash;
          }
        } else {
          formatTwo = true;
          const hash = sha256(canonicalize(entry));
          if (hash !== r.content_hash) {
            if (isBlanked(r)) {
              unaccounted.set(s, { kept: keptFieldsHash(s, entry), record: `${r.object_type}:${r.object_id}` });
            } else if (!redacted(s, r, hash)) {
              fail(`entry ${s}: content does not match its content hash`);
              break walk;
            }
          } else if (r.action === 'destroy') {
            // Retention destroys records of three types, each with the entries of that record only.
            if (!DESTROYED_TYPES.has(r.object_type)) {
              fail(`entry ${s}: a destroy entry about a ${r.object_type}, which is never destroyed`);
              break walk;
            }
            const recorded = r.after?.keptFieldsHashes;
            for (const n of blankedBy(r)) {
              if (unaccounted.has(n) && unaccounted.get(n).record !== `${r.object_type}:${r.object_id}`) {
                fail(`entry ${n}: destroy entry ${s} lists it, but it is about another record`);
                break walk;
              }
              if (unaccounted.has(n) && recorded && typeof recorded === 'object' && recorded[n] !== unaccounted.get(n).kept) {
                fail(`entry ${n}: the fields it kept after its destruction do not match the hash destroy entry ${s} recorded`);
                break walk;
              }
              unaccounted.delete(n);
            }
          }
          expected = sha256(`${s}:${r.prev_hash}:${r.content_hash}`);
        }
        if (expected !== r.hash) {
          fail(`entry ${s}: hash does not match`);
          break walk;
        }
        hashes.set(s, r.hash);
        prev = r.hash;
        seq = s;
        report.entriesChecked += 1;
      }
    }
    if (report.ok && unaccounted.size > 0) {
      fail(`entry ${Math.min(...unaccounted.keys())}: its payload is gone, and no destroy entry records its destruction`);
    }
    report.lastSeq = seq;
    report.headHash = prev;

    // 2. Every checkpoint: signed by this key, and the entry at its seq still has the signed hash.
    if (report.ok) {
      const stored = await db.query('select id, seq, head_hash, signed_at, key_id, signature from audit_checkpoints order by seq');
      const kept = o.checkpoints ? JSON.parse(readFileSync(o.checkpoints, 'utf8')) : [];
      // A kept copy identical to a stored checkpoint counts once; a stored one that differs from the
      // kept copy of the same id is checked too (and fails: only the kept one is what was signed).
      const distinct = new Map();
      for (const c of [
        ...stored.map((c) => ({
          id: c.id,
          seq: Number(c.seq),
          headHash: c.head_hash,
          signedAt: signedAt(c.signed_at),
          keyId: c.key_id,
          signature: c.signature,
        })),
        ...(Array.isArray(kept) ? kept : kept.items),
      ])
        distinct.set(JSON.stringify([c.id, c.seq, c.headHash, c.signedAt, c.keyId, c.signature]), c);
      for (const c of [...distinct.values()].sort((a, b) => a.seq - b.seq)) {
        const statement = Buffer.from(canonicalize({ format: FORMAT, headHash: c.headHash, seq: c.seq, signedAt: c.signedAt }), 'utf8');
        const which = `checkpoint ${c.id} (seq ${c.seq}, signed at ${c.signedAt})`;
        if (c.keyId !== keyId || !verify(null, statement, publicKey, Buffer.from(c.signature, 'base64url'))) {
          fail(`${which} is not signed by this key`);
          break;
        }
        const at = c.seq === 0 ? GENESIS : hashes.get(c.seq);
        if (at === undefined) {
          fail(`${which}: entry ${c.seq} is gone — the trail was cut off after this checkpoint`);
          break;
        }
        if (at !== c.headHash) {
          fail(`${which}: entry ${c.seq} no longer has the signed hash — the trail was rewritten up to this checkpoint`);
          break;
        }
        report.checkpointsChecked += 1;
      }
      if (report.ok && report.checkpointsChecked === 0) report.warning = 'no checkpoints: only the chain itself was checked';
    }
  } finally {
    await db.close();
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`verify-audit-trail: ${err.message}\n`);
  process.exitCode = 2;
});
