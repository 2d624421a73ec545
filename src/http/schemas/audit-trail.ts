import { z } from 'zod';
import { AUDIT_ACTIONS, AUDIT_OBJECT_TYPES, ROLES } from '../../domain/codes.js';
import { codeList, Id, Timestamp } from './common.js';
import { pageOf } from './records.js';

export const AuditAction = codeList(
  'AuditAction',
  AUDIT_ACTIONS,
  'What happened: create, update (a correction), delete (a tombstone for establishments and actions; revocation for API clients), rederive (licenceStatus of an action re-derived because its establishment’s licence history (vergunninghistorie) was corrected), or destroy (the record was destroyed past its retention period under the Archiefwet (vernietiging): after names the rule, the entries whose before, after and reason were blanked (auditEntries) with a hash of the fields each kept (keptFieldsHashes), and deletedAt when the record had been deleted before), or redact (personal data stored before the rule refused it was removed from earlier entries of the record: after lists them in redactedEntries, each with its seq, the fields whose text became "[removed: personal data]" and the content hash it has since, with establishmentId for a licence or an action; the record itself is unchanged).',
);

export const AuditObjectType = codeList('AuditObjectType', AUDIT_OBJECT_TYPES, 'The kind of record the entry is about.');

const AuditClientRole = z
  .enum([...ROLES, 'system'])
  .meta({ description: 'The role of the client at the time; system for the service itself (bootstrap, set-up).' });

const Snapshot = z
  .record(z.string(), z.unknown())
  .nullable()
  .meta({ description: 'The whole record as the API showed it, or null (before a create, after a delete).' });

export const AuditActor = z
  .object({
    id: z.string().meta({
      description:
        'gebruikersId: the subject of a user token (sub@GM0363 from an issuer that serves one municipality), or the user_id a system declared.',
      example: 'j.devries',
    }),
    name: z.string().nullable().meta({ description: 'gebruikersWeergave: display name, when given.', example: 'J. de Vries (handhaving)' }),
    verified: z.boolean().meta({
      description:
        'true: from a user token the registry verified (OpenID Connect); false: declared by a system token (user_id / user_representation claims) or an API client (X-Acting-User headers), not verified by the registry.',
    }),
  })
  .meta({ id: 'AuditActor', description: 'The acting person of an audit entry.' });

export const AuditEntry = z
  .object({
    seq: z.number().int().min(1).meta({ description: 'Position in the one chain of the whole registry: 1, 2, 3… without gaps.' }),
    id: Id.meta({ description: 'The entry’s own id.' }),
    occurredAt: Timestamp.meta({ description: 'When the change was committed (UTC).' }),
    clientId: Id.nullable().meta({ description: 'The API client that made the change; null for the service itself.' }),
    clientRole: AuditClientRole,
    action: AuditAction,
    objectType: AuditObjectType,
    objectId: z.string().meta({ description: 'The id of the record (a CBS code for municipalities).' }),
    municipalityCode: z.string().nullable().meta({ description: 'The municipality (gemeente) the record belongs to, if any.' }),
    before: Snapshot,
    after: Snapshot,
    changedFields: z.array(z.string()).meta({
      description:
        'Top-level fields whose value differs between before and after (computed from them when read), for example ["stage", "version", "updatedAt"].',
    }),
    reason: z.string().nullable().meta({ description: 'The X-Audit-Reason given with the change (required for deletes).' }),
    requestId: z.string().nullable().meta({ description: 'The X-Request-Id of the request that made the change.' }),
    actor: AuditActor.nullable().meta({
      description:
        'The person who acted (a municipal employee, never a sex worker), when known; null for plain API clients and the service itself.',
    }),
    hash: z.string().meta({
      description:
        'SHA-256 (hex) of the UTF-8 text `seq:prevHash:contentHash`. Entries without a contentHash (written before chain format 2): SHA-256 over the RFC 8785 canonical JSON of the entry’s content with seq and prevHash.',
      example: 'a3f1…',
    }),
    contentHash: z.string().nullable().meta({
      description:
        'SHA-256 (hex) over the RFC 8785 canonical JSON of the entry’s content: id, occurredAt, clientId, clientRole, action, objectType, objectId, municipalityCode, before, after, reason and requestId, and actor {id, name, verified} when the entry has one (entries from before migration 0015 have none, so their hash is unchanged). Null for entries written before chain format 2.',
    }),
    prevHash: z.string().meta({ description: 'The hash of entry seq − 1; 64 zeros for the first entry.' }),
  })
  .meta({
    id: 'AuditEntry',
    description:
      'One entry of the audit trail (audittrail): who changed which record, when, why, and the record before and after. Entries are append-only and hash-chained.',
  });

export const AuditEntryPage = pageOf(AuditEntry, 'AuditEntryPage');

export const AuditChainVerification = z
  .object({
    ok: z.boolean().meta({ description: 'True when every check holds.' }),
    entriesChecked: z.number().int().meta({ description: 'Entries whose link held, from seq 1 on.' }),
    lastSeq: z.number().int().nullable().meta({
      description:
        'The last entry of the trail as verified (for an intact trail the entry headHash is the hash of: note the two together); null for an empty trail.',
    }),
    headHash: z
      .string()
      .nullable()
      .meta({ description: 'The hash of the last entry that held: note it outside the registry to detect a cut-off tail later.' }),
    firstBrokenSeq: z.number().int().nullable().meta({ description: 'The first entry that does not hold, or null.' }),
    problem: z.string().nullable().meta({ description: 'What is wrong with it, in words, or null.' }),
    recordsWithoutTrail: z.number().int().meta({
      description:
        'Establishments, licences, enforcement actions, municipalities (bar the ten seeded ones) and API clients whose current version has no audit entry: a sign that the tail of the trail was cut off or a record was changed outside the service.',
    }),
    recordsNotMatchingTrail: z.number().int().meta({
      description:
        'Live establishments, licences, enforcement actions, municipalities and API clients whose current content differs from the after of the audit entry for their current version, in a field that entry holds (fields derived when read, such as a licence’s status, are not compared): a record changed in the database without a new version, e.g. an action’s measure or decisionDate.',
    }),
    entriesWithoutRecord: z.number().int().meta({
      description:
        'Records the trail names whose row is gone without a delete entry (licences are deleted outright after one; every other record keeps its row): a cut-off tail or a row removed outside the service.',
    }),
    checkpointsChecked: z.number().int().meta({
      description: 'Signed checkpoints the chain was checked against (every stored one, when a signing key is configured).',
    }),
    checkpointKeyId: z.string().nullable().meta({
      description: 'The key id the checkpoints were checked with; null when no signing key is configured (checkpoints not checked).',
    }),
    verifiedAt: Timestamp,
  })
  .meta({
    id: 'AuditChainVerification',
    description: 'The result of walking the hash chain of the audit trail from its first entry.',
  });

export const AuditCheckpoint = z
  .object({
    id: Id.meta({ description: 'The checkpoint’s own id.' }),
    seq: z.number().int().min(0).meta({ description: 'The seq of the chain head that was signed (0: an empty chain).' }),
    headHash: z.string().meta({ description: 'The hash of entry seq (64 zeros for an empty chain).' }),
    signedAt: Timestamp.meta({ description: 'When it was signed (UTC, with milliseconds).' }),
    keyId: z
      .string()
      .meta({ description: 'SHA-256 (hex) of the DER SubjectPublicKeyInfo of the signing key: see /audit-trail/public-key.' }),
    signature: z.string().meta({
      description:
        'Ed25519 signature (base64url) over the UTF-8 bytes of the RFC 8785 canonical JSON {"format":"enforcement-registry/audit-checkpoint/v1","headHash":…,"seq":…,"signedAt":…}.',
    }),
  })
  .meta({
    id: 'AuditCheckpoint',
    description:
      'A signed checkpoint of the audit chain (like a Certificate Transparency signed tree head): the service vouches that entry seq had headHash at signedAt. Keep copies outside the registry; a later rewrite or cut of the trail up to seq no longer matches it.',
  });

export const AuditCheckpointPage = pageOf(AuditCheckpoint, 'AuditCheckpointPage');

export const AuditPublicKey = z
  .object({
    keyId: z.string().meta({ description: 'SHA-256 (hex) of the key’s DER SubjectPublicKeyInfo; checkpoints name it.' }),
    algorithm: z.enum(['Ed25519']).meta({ description: 'The signature algorithm.' }),
    pem: z.string().meta({ description: 'The public key as PEM (SPKI).' }),
    jwk: z
      .object({ kty: z.string(), crv: z.string(), x: z.string() })
      .meta({ id: 'AuditPublicJwk', description: 'The public key as a JSON Web Key (RFC 8037: kty OKP, crv Ed25519).' }),
  })
  .meta({ id: 'AuditPublicKey', description: 'The public key that verifies the audit trail’s signed checkpoints.' });
