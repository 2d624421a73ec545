import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { publicContext } from '../../application/context.js';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { badRequest } from '../problem.js';
import {
  AuditAction,
  AuditChainVerification,
  AuditCheckpoint,
  AuditCheckpointPage,
  AuditEntryPage,
  AuditObjectType,
  AuditPublicKey,
} from '../schemas/audit-trail.js';
import { Id, MunicipalityCode, Pagination, text, timestampInput, UUID_TEXT, wholeNumberParam } from '../schemas/common.js';
import { orderedRanges } from '../schemas/rules.js';
import { AUTH_PROBLEMS, BEARER, closingOnly, listOf, operations, problems, roles } from './operations.js';
import { paged, sendOnce } from './replies.js';

const op = operations('Audit trail');
/** A record id is a UUID, compared in any case (as Id does); the trail keeps it in lower case. */
const UUID = new RegExp(`^${UUID_TEXT}$`, 'i');
const TAMPER_NOTE =
  ' Entries are append-only and hash-chained (each holds the SHA-256 of its content and of the previous entry), so an edited or removed entry is found by GET /audit-trail/verification.';

/** The audit trail (audittrail): who changed what, when and why. */
const auditTrailRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const trails = services.queries.auditTrail;
  // A record's trail, for the two records that have one of their own (licences are in their establishment's).
  const recordTrails = [
    {
      path: '/enforcement-actions/:id/audit-trail',
      doc: op(
        'listEnforcementActionAuditTrail',
        'Audit trail of an enforcement action (handhavingsmaatregel)',
        `Every change of the action, oldest first: create, corrections, re-derivations of licenceStatus after a licence correction, and its deletion, each with the client, the reason (X-Audit-Reason) and the action before and after. Still readable after the action was deleted (its tombstone remains). Same access as the action itself: officers of its municipality and admins; another municipality’s action is a 404.${TAMPER_NOTE}`,
      ),
      id: 'The enforcement action’s id.',
      find: trails.forEnforcementAction,
    },
    {
      path: '/establishments/:id/audit-trail',
      doc: op(
        'listEstablishmentAuditTrail',
        'Audit trail of an establishment (seksinrichting) and its licences',
        `Every change of the establishment and of its licences (exploitatievergunningen), also of licences deleted since, oldest first, each with the client, the reason and the record before and after. The trails of its enforcement actions are at /enforcement-actions/{id}/audit-trail. Still readable after the establishment was deleted (its tombstone remains). Same access as the establishment: officers of its municipality and admins; another municipality’s is a 404.${TAMPER_NOTE}`,
      ),
      id: 'The establishment’s id.',
      find: trails.forEstablishment,
    },
  ];
  for (const trail of recordTrails) {
    app.get(trail.path, {
      config: roles('officer', 'admin'),
      schema: { ...listOf(trail.doc, Pagination, AuditEntryPage, 404), params: z.object({ id: Id.meta({ description: trail.id }) }) },
      handler: async (request, reply) =>
        paged(request, reply, request.query, await trail.find(contextOf(request), request.params.id, request.query)),
    });
  }

  app.get('/audit-trail', {
    config: { ...roles('admin'), recordRead: true },
    schema: listOf(
      op(
        'listAuditTrail',
        'Search the whole audit trail',
        `All entries of the registry, oldest first (by seq), filtered by client, object, action, municipality (gemeente) and time. Admins only.${TAMPER_NOTE}`,
      ),
      orderedRanges(
        Pagination.extend({
          clientId: Id.optional().meta({ description: 'Entries made by this API client.' }),
          // As an actor id can be (plugins/auth.ts): a token's subject, or X-Acting-User as declared (trimmed), in any script.
          actorId: text(1, 255).optional().meta({
            description: 'Entries made by this person: the `actor.id` of the entries (a token’s subject, or X-Acting-User as declared).',
          }),
          objectType: AuditObjectType.optional(),
          objectId: text(1, 100)
            .overwrite((s) => (UUID.test(s) ? s.toLowerCase() : s))
            .optional()
            .meta({ description: 'Entries about this record id: a UUID in any case, or a CBS code for a municipality.' }),
          action: AuditAction.optional(),
          municipalityCode: MunicipalityCode.optional(),
          occurredFrom: timestampInput('Entries at or after this moment (UTC, e.g. 2026-01-01T00:00:00Z).').optional(),
          occurredUntil: timestampInput('Entries at or before this moment (UTC).').optional(),
        }),
        ['occurredFrom', 'occurredUntil'],
      ),
      AuditEntryPage,
    ),
    handler: async (request, reply) => {
      const { page, pageSize, ...filters } = request.query;
      const result = await trails.search(contextOf(request), filters, { page, pageSize });
      return paged(request, reply, { page, pageSize }, result);
    },
  });

  app.get('/audit-trail/verification', {
    config: roles('admin'),
    schema: listOf(
      op(
        'verifyAuditTrail',
        'Verify the hash chain of the audit trail',
        'Walks the whole chain from seq 1: every seq present once, every prevHash equal to the previous entry’s hash, every contentHash equal to the SHA-256 of the entry’s canonical content and every hash equal to the SHA-256 of `seq:prevHash:contentHash` (entries of chain format 1, without contentHash: the SHA-256 of their canonical content with seq and prevHash). Reports the first entry that does not hold. It also checks that every establishment, licence and enforcement action has an entry for its current version, which finds a cut-off tail; and, given anchorSeq and anchorHash noted from an earlier report, that this entry is still there unchanged. Admins only; `npm run audit:verify` does the same from the command line.',
      ),
      z.object({
        anchorSeq: wholeNumberParam(z.number().int().min(1)).optional().meta({
          description: 'The lastSeq of an earlier report, noted outside the registry; give anchorHash with it.',
        }),
        anchorHash: z
          .string()
          .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
          .optional()
          .meta({ description: 'The headHash of that report: the entry at anchorSeq must still have it.' }),
      }),
      AuditChainVerification,
    ),
    handler: async (request) => {
      const { anchorSeq, anchorHash } = request.query;
      const ctx = contextOf(request);
      if ((anchorSeq === undefined) !== (anchorHash === undefined)) {
        const missing = anchorSeq === undefined ? 'anchorSeq' : 'anchorHash';
        throw badRequest([{ name: missing, code: 'required_with_anchor', reason: 'give anchorSeq and anchorHash together' }]);
      }
      return trails.verify(ctx, anchorSeq && anchorHash ? { seq: anchorSeq, hash: anchorHash } : undefined);
    },
  });

  const checkpoints = services.commands.auditCheckpoints;
  app.post('/audit-trail/checkpoints', {
    config: roles('admin'),
    schema: {
      ...op(
        'createAuditCheckpoint',
        'Sign a checkpoint of the audit chain now',
        'Signs the current chain head (seq, headHash, signedAt) with the service’s Ed25519 key and stores the checkpoint; the service also does this every AUDIT_CHECKPOINT_INTERVAL_S seconds when the chain moved. Each call signs a new checkpoint; a retry with the same Idempotency-Key answers the first one again and signs no other. 409 audit-signing-off when no signing key is configured. Admins only.',
      ),
      security: BEARER,
      response: { 201: AuditCheckpoint, ...problems(400, ...AUTH_PROBLEMS, 409, 413, 415) },
    },
    handler: async (request, reply) => {
      return sendOnce(reply, await checkpoints.sign(contextOf(request)), 201);
    },
  });

  app.get('/audit-trail/checkpoints', {
    schema: {
      ...op(
        'listAuditCheckpoints',
        'The signed checkpoints of the audit chain',
        'Every signed checkpoint, oldest first. Public, without a token: a checkpoint is worth most when others keep copies of it (as Certificate Transparency monitors keep signed tree heads); it reveals only the number of entries and a hash. Verify one with the key at /audit-trail/public-key; `scripts/verify-audit-trail.mjs` checks a database or a dump against them (docs/audit-trail.md).',
      ),
      security: [],
      querystring: Pagination,
      response: { 200: AuditCheckpointPage, ...problems(400, 503) },
    },
    handler: async (request, reply) =>
      paged(request, reply, request.query, await trails.checkpoints(publicContext(request.id), request.query)),
  });

  app.get('/audit-trail/public-key', {
    schema: {
      ...op(
        'getAuditPublicKey',
        'The public key that verifies the checkpoints',
        'The Ed25519 public key of the audit signing key, as PEM and as JWK, with its key id. Public, without a token. 404 when no signing key is configured (checkpoints are off).',
      ),
      security: [],
      response: { 200: AuditPublicKey, ...problems(404), ...closingOnly() },
    },
    handler: async () => checkpoints.publicKey(),
  });
};

export default auditTrailRoutes;
