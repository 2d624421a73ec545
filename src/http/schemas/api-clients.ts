import { z } from 'zod';
import { checkApiClient } from '../../domain/api-clients.js';
import { ROLES } from '../../domain/codes.js';
import { codeList, Id, MunicipalityCode, prose, Timestamp, Version } from './common.js';
import { pageOf } from './records.js';
import { alongsideSchemaIssues } from './rules.js';

export const ClientRole = codeList(
  'ClientRole',
  ROLES,
  'officer (handhaver of one municipality: its own records only), analyst (statistics for all municipalities, no establishment-level records), admin (municipalities and API clients).',
);

export const ApiClientCreate = alongsideSchemaIssues(
  z.strictObject({
    name: prose(1, 100).meta({
      description: 'A name for the system or team using the client, not a person’s name (nor an e-mail address or phone number).',
    }),
    role: ClientRole,
    municipalityCode: MunicipalityCode.nullable().optional().meta({ description: 'Required for officers; not allowed for other roles.' }),
  }),
  checkApiClient,
).meta({ id: 'ApiClientCreate' });

export const ApiClient = z
  .object({
    id: Id,
    name: z.string(),
    role: ClientRole,
    municipalityCode: MunicipalityCode.nullable(),
    createdAt: Timestamp,
    revokedAt: Timestamp.nullable(),
    version: Version,
  })
  .meta({ id: 'ApiClient', description: 'A client of this API and its role.' });

export const ApiClientWithToken = ApiClient.extend({
  token: z.string().meta({ description: 'The bearer token. Shown only in this response: store it safely. Only its hash is kept.' }),
}).meta({ id: 'ApiClientWithToken' });

export const ApiClientPage = pageOf(ApiClient, 'ApiClientPage');
