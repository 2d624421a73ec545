import { z } from 'zod';
import { ESTABLISHMENT_KINDS } from '../../domain/codes.js';
import { codeList, ExternalReference, Id, MunicipalityCode, prose, text } from './common.js';
import { mergePatchOf, pageOf, RecordStamps, revisionBodies } from './records.js';

export const EstablishmentKind = codeList(
  'EstablishmentKind',
  ESTABLISHMENT_KINDS,
  'Soort seksinrichting: window_brothel (raamprostitutie), club, private_house (privéhuis), escort_agency (escortbedrijf), massage_parlour (erotische massagesalon), home_based (thuiswerk: the licensed address only, never the name or other data of the person who works there), other.',
);

const AddressFields = {
  street: text(1, 120),
  houseNumber: z.number().int().min(1).max(99999),
  houseNumberAddition: z
    .string()
    .regex(/^[A-Za-z0-9]{1,4}$/, 'must be 1 to 4 letters or digits')
    .nullable()
    .optional()
    .meta({ description: 'Huisletter or huisnummertoevoeging, for example `A` or `2`.' }),
  postalCode: z.string().regex(/^[1-9][0-9]{3}[A-Z]{2}$/, 'must be a Dutch postal code such as 1012AB (no space)'),
  city: text(1, 80).meta({ description: 'Woonplaats.' }),
};

const ADDRESS = 'The address of the establishment, as its licence or the BAG names it (not of any person: no names, no c/o).';
/** As sent: street and city are free text that names no one (prose()); as read, the address as stored. */
export const AddressInput = z
  .strictObject({ ...AddressFields, street: prose(1, 120), city: prose(1, 80).meta({ description: 'Woonplaats.' }) })
  .meta({ id: 'AddressWrite', description: ADDRESS });
export const Address = z
  .object({ ...AddressFields, houseNumberAddition: z.string().nullable() })
  .meta({ id: 'Address', description: ADDRESS });

const kvkNumber = z
  .string()
  .regex(/^[0-9]{8}$/, 'must be 8 digits, a leading 0 included')
  .meta({
    description:
      'KvK-nummer (Chamber of Commerce) of the operator (exploitant), 8 digits. Leave it out when the operator is a sex worker’s own sole-trader registration (eenmanszaak): that number identifies the person.',
  });
const bagId = z
  .string()
  .regex(/^[0-9]{16}$/, 'must be 16 digits, a leading 0 included')
  .meta({ description: 'BAG verblijfsobject-identificatie, 16 digits.' });

const establishmentFields = {
  municipalityCode: MunicipalityCode,
  name: prose(1, 200).meta({
    description:
      'The trade name of the establishment (handelsnaam). Never the name of a sex worker or other person, nor an e-mail address, mobile number or BSN (refused).',
  }),
  kind: EstablishmentKind,
  address: AddressInput,
  kvkNumber: kvkNumber.nullable().optional(),
  bagId: bagId.nullable().optional(),
  externalReference: ExternalReference.nullable().optional(),
};

export const EstablishmentInput = z.strictObject(establishmentFields).meta({
  id: 'EstablishmentWrite',
  description: 'A seksinrichting as sent to create (POST) it.',
});

/** PUT and PATCH; id and the stamps are set by the registry. */
export const {
  readOnly: ESTABLISHMENT_READ_ONLY,
  Replace: EstablishmentReplace,
  Patch: EstablishmentPatch,
} = revisionBodies({
  id: 'Establishment',
  record: 'a seksinrichting',
  fields: establishmentFields,
  readOnly: { id: Id, ...RecordStamps },
  patch: {
    ...establishmentFields,
    name: establishmentFields.name.optional(),
    municipalityCode: MunicipalityCode.optional(),
    kind: EstablishmentKind.optional(),
    address: mergePatchOf(AddressInput, 'AddressPatch', 'the address').optional(),
  },
});

export const Establishment = z
  .object({
    id: Id,
    municipalityCode: MunicipalityCode,
    name: z.string(),
    kind: EstablishmentKind,
    address: Address,
    kvkNumber: z.string().nullable(),
    bagId: z.string().nullable(),
    externalReference: z.string().nullable(),
    ...RecordStamps,
  })
  .meta({ id: 'Establishment', description: 'A sex establishment (seksinrichting / seksbedrijf).' });

export const EstablishmentPage = pageOf(Establishment, 'EstablishmentPage');
