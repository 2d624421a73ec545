import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createApiClientRepository } from '../repositories/api-clients.js';
import { createAuditTrailRepository } from '../repositories/audit-trail.js';
import { createEnforcementActionRepository } from '../repositories/enforcement-actions.js';
import { createEstablishmentRepository } from '../repositories/establishments.js';
import { createLicenceRepository } from '../repositories/licences.js';
import { createMunicipalityRepository } from '../repositories/municipalities.js';

function createRepositories(app: FastifyInstance) {
  const d = app.database;
  return {
    municipalities: createMunicipalityRepository(d),
    apiClients: createApiClientRepository(d),
    establishments: createEstablishmentRepository(d),
    licences: createLicenceRepository(d),
    enforcementActions: createEnforcementActionRepository(d),
    auditTrail: createAuditTrailRepository(d),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

declare module 'fastify' {
  interface FastifyInstance {
    repos: Repositories;
  }
}

/** One factory per aggregate, built once on the app's database. Routes reach data only through these. */
export default fp(
  async function repositories(app: FastifyInstance) {
    app.decorate('repos', createRepositories(app));
  },
  { name: 'repositories', dependencies: ['database'] },
);
