import { z } from 'zod';
import { LICENCE_RECORD_STATUSES } from '../../domain/codes.js';
import { checkLicence } from '../../domain/licences.js';
import {
  codeList,
  dateInput,
  ExternalReference,
  Id,
  IsoDate,
  MERGE_PATCH_RULE,
  PageMeta,
  READ_ONLY_RULE,
  readOnly,
  Timestamp,
  Version,
} from './common.js';
import { alongsideSchemaIssues } from './rules.js';

export const LicenceStatus = codeList(
  'LicenceStatus',
  LICENCE_RECORD_STATUSES,
  'Status of an exploitatievergunning: granted (verleend), suspended (geschorst), revoked (ingetrokken), expired (verlopen).',
);

const EFFECTIVE_DATE = 'The date this status took effect.';

export const LicenceStatusChange = z
  .object({ status: LicenceStatus, effectiveDate: IsoDate.meta({ description: EFFECTIVE_DATE }) })
  .meta({ id: 'LicenceStatusChange' });

const LicenceStatusChangeInput = z
  .strictObject({ status: LicenceStatus, effectiveDate: dateInput(EFFECTIVE_DATE) })
  .meta({ id: 'LicenceStatusChangeWrite' });

const licenceFields = {
  licenceNumber: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,49}$/, 'must be 1 to 50 letters, digits, dots, dashes or slashes')
    .meta({ description: 'The municipality’s number of the exploitatievergunning.' }),
  validFrom: dateInput('First day of validity.'),
  validUntil: dateInput('Last day of validity; absent for an open-ended licence.').nullable().optional(),
  statusHistory: z.array(LicenceStatusChangeInput).min(1).max(50).meta({
    description:
      'Every status the licence has had, oldest first, beginning with granted. A suspension is lifted by a later granted; nothing follows revoked or expired.',
  }),
  externalReference: ExternalReference.nullable().optional(),
};

export const LicenceInput = alongsideSchemaIssues(z.strictObject(licenceFields), checkLicence).meta({
  id: 'LicenceWrite',
  description: 'An exploitatievergunning as sent to create it.',
});

/** Fields the registry sets; a PUT or PATCH may carry them back only unchanged. */
export const LICENCE_READ_ONLY = ['id', 'establishmentId', 'status', 'statusDate', 'createdAt', 'updatedAt', 'version'] as const;
const licenceReadOnly = {
  id: readOnly(Id),
  establishmentId: readOnly(Id),
  status: readOnly(LicenceStatus),
  statusDate: readOnly(IsoDate),
  createdAt: readOnly(Timestamp),
  updatedAt: readOnly(Timestamp),
  version: readOnly(Version),
};

export const LicenceReplace = alongsideSchemaIssues(z.strictObject({ ...licenceFields, ...licenceReadOnly }), checkLicence).meta({
  id: 'LicenceReplace',
  description: `An exploitatievergunning as sent to replace (PUT) it: every field, as with a create. ${READ_ONLY_RULE}`,
});

export const LicencePatch = z
  .strictObject({
    licenceNumber: licenceFields.licenceNumber.optional(),
    validFrom: licenceFields.validFrom.optional(),
    validUntil: licenceFields.validUntil,
    statusHistory: licenceFields.statusHistory.optional(),
    ...licenceReadOnly,
  })
  .meta({ id: 'LicencePatch', description: `A JSON Merge Patch (RFC 7396) of an exploitatievergunning. ${MERGE_PATCH_RULE}` });

export const Licence = z
  .object({
    id: Id,
    establishmentId: Id,
    licenceNumber: z.string(),
    validFrom: IsoDate,
    validUntil: IsoDate.nullable(),
    status: LicenceStatus.meta({ description: 'The latest status in statusHistory.' }),
    statusDate: IsoDate.meta({ description: 'The date the latest status took effect.' }),
    statusHistory: z.array(LicenceStatusChange),
    externalReference: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: Version,
  })
  .meta({ id: 'Licence', description: 'An exploitatievergunning of an establishment, with its history.' });

export const LicencePage = z.object({ items: z.array(Licence), ...PageMeta }).meta({ id: 'LicencePage' });
