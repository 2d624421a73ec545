import { z } from 'zod';
import { LICENCE_RECORD_STATUSES } from '../../domain/codes.js';
import { checkLicence } from '../../domain/licences.js';
import { codeList, dateInput, ExternalReference, Id, IsoDate } from './common.js';
import { pageOf, RecordStamps, revisionBodies } from './records.js';
import { alongsideSchemaIssues } from './rules.js';

export const LicenceStatus = codeList(
  'LicenceStatus',
  LICENCE_RECORD_STATUSES,
  'Status of an exploitatievergunning: granted (verleend), suspended (geschorst), revoked (ingetrokken), expired (verlopen).',
);

const EFFECTIVE_DATE = 'The date this status took or takes effect: it may be after today.';

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

/** PUT and PATCH; id, the establishment, the current status and the stamps are set by the registry. */
export const {
  readOnly: LICENCE_READ_ONLY,
  Replace: LicenceReplace,
  Patch: LicencePatch,
} = revisionBodies({
  id: 'Licence',
  record: 'an exploitatievergunning',
  fields: licenceFields,
  readOnly: { id: Id, establishmentId: Id, status: LicenceStatus, statusDate: IsoDate, ...RecordStamps },
  check: checkLicence,
  patch: {
    ...licenceFields,
    licenceNumber: licenceFields.licenceNumber.optional(),
    validFrom: licenceFields.validFrom.optional(),
    statusHistory: licenceFields.statusHistory.optional(),
  },
});

export const Licence = z
  .object({
    id: Id,
    establishmentId: Id,
    licenceNumber: z.string(),
    validFrom: IsoDate,
    validUntil: IsoDate.nullable(),
    status: LicenceStatus.meta({
      description:
        'The latest status in statusHistory, as recorded, also one whose effectiveDate is still ahead (a revocation recorded before the day it takes effect), and a licence past its validUntil keeps it until an expired status is recorded. Whether the licence is in force on a day follows from validFrom, validUntil and the history together, as an action’s licenceStatus is derived.',
    }),
    statusDate: IsoDate.meta({ description: 'The date the latest status took or takes effect: it may be after today.' }),
    statusHistory: z.array(LicenceStatusChange),
    externalReference: z.string().nullable(),
    ...RecordStamps,
  })
  .meta({ id: 'Licence', description: 'An exploitatievergunning of an establishment, with its history.' });

export const LicencePage = pageOf(Licence, 'LicencePage');
