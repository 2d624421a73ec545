import { z } from 'zod';
import { GROUNDS, LICENCE_STATUSES, MEASURES, PENALTY_UNITS, STAGES } from '../../domain/codes.js';
import { checkEnforcementAction } from '../../domain/enforcement-actions.js';
import { todayInNetherlands } from '../../lib/dates.js';
import {
  codeList,
  dateInput,
  ExternalReference,
  Id,
  IsoDate,
  MunicipalityCode,
  prose,
  storable,
  withoutPersonalDataInLink,
} from './common.js';
import { mergePatchOf, pageOf, RecordStamps, revisionBodies } from './records.js';
import { alongsideSchemaIssues } from './rules.js';

export const Measure = codeList(
  'Measure',
  MEASURES,
  'closure (sluiting), administrative_fine (bestuurlijke boete, Awb 5:40), penalty_order (last onder dwangsom, Awb 5:31d), administrative_coercion (last onder bestuursdwang, Awb 5:21), warning (waarschuwing), licence_suspension (schorsing vergunning), licence_revocation (intrekking vergunning).',
);

export const Ground = codeList(
  'Ground',
  GROUNDS,
  'Grond: no_manager_present (geen beheerder aanwezig), licence_condition_breach (overtreding vergunningvoorschriften), hygiene (hygiëne), worker_without_valid_id (sekswerker zonder geldig identiteitsbewijs), unlicensed_operation (exploitatie zonder vergunning), underage_worker (minderjarige), trafficking_indicators (signalen mensenhandel), other.',
);

export const Stage = codeList(
  'Stage',
  STAGES,
  'Fase: intended (voornemen) → decided (besluit) → objection (bezwaar) → appeal (beroep) → final (onherroepelijk); withdrawn (ingetrokken), annulled (vernietigd).',
);

export const LicenceStatusAtDecision = codeList(
  'LicenceStatusAtDecision',
  LICENCE_STATUSES,
  'Whether the establishment held a valid exploitatievergunning on the decision date, derived from its licence history.',
);

export const PenaltyUnit = codeList('PenaltyUnit', PENALTY_UNITS, 'Dwangsom ineens (once), per dag, per week of per overtreding.');

const cents = z.number().int().positive().max(100_000_000_000);

export const Fine = z
  .strictObject({ amountCents: cents.meta({ description: 'Bedrag bestuurlijke boete, in euro cents.' }) })
  .meta({ id: 'Fine', description: 'Bestuurlijke boete (Awb 5:40).' });

const penaltyFields = {
  amountCents: cents.meta({ description: 'Dwangsombedrag per unit, in euro cents.' }),
  unit: PenaltyUnit,
  maximumCents: cents.meta({ description: 'Maximum te verbeuren bedrag, in euro cents; at least amountCents.' }),
};
const COMPLIANCE_DEADLINE = 'Einde begunstigingstermijn; not before the decision date.';

export const PenaltyInput = z
  .strictObject({
    ...penaltyFields,
    complianceDeadline: dateInput(COMPLIANCE_DEADLINE),
    forfeitedCents: z
      .number()
      .int()
      .min(0)
      .max(100_000_000_000)
      .optional()
      .meta({ description: 'Verbeurd bedrag so far, in euro cents; at most maximumCents. 0 when absent.' }),
  })
  .meta({ id: 'PenaltyWrite', description: 'Last onder dwangsom (Awb 5:31d).' });

export const Penalty = z
  .object({
    ...penaltyFields,
    complianceDeadline: IsoDate.meta({ description: COMPLIANCE_DEADLINE }),
    forfeitedCents: z.number().int().min(0),
  })
  .meta({ id: 'Penalty', description: 'Last onder dwangsom (Awb 5:31d).' });

export const ClosureInput = z
  .strictObject({
    startDate: dateInput(),
    endDate: dateInput('Absent while the closure has no end date.').nullable().optional(),
  })
  .meta({ id: 'ClosureWrite', description: 'Sluiting: from startDate up to and including endDate.' });

export const Closure = z
  .object({ startDate: IsoDate, endDate: IsoDate.nullable() })
  .meta({ id: 'Closure', description: 'Sluiting: from startDate up to and including endDate.' });

/** Examples of the two ZGW links: a zaak in the Zaken API, a besluit in the Besluiten API. */
const ZGW_EXAMPLES = {
  zaak: 'https://zaken.gemeente.nl/zaken/api/v1/zaken/5d8a0b8c-2bc6-4ab1-8f3c-0b6e4c6c1f2a',
  besluit: 'https://besluiten.gemeente.nl/besluiten/api/v1/besluiten/0b2f3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
} as const;

/**
 * The characters of a URI (RFC 3986): unreserved, reserved and `%` before two hex digits. A space,
 * `é`, `<`, `"` or `{` must be percent-encoded: a URL parser would encode them itself, so the link
 * stored would not be the one another system resolves.
 */
const URI_CHARACTERS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;

/** A link to a ZGW resource as the registry reads one: an absolute http(s) URL without credentials, at most 1000 characters. */
const zgwLink = () =>
  storable(z.url({ protocol: /^https?$/ }).max(1000))
    .refine((u) => URI_CHARACTERS.test(u), {
      message: 'must be a URI: percent-encode a space, a letter such as é, and < > " { } | \\ ^ `',
      params: { rule: 'invalid_format' },
      when: (payload) => payload.issues.length === 0, // a control character is its own issue, not also this one
    })
    .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), { message: 'must not contain credentials', params: { rule: 'credentials_in_url' } });

/**
 * A link to a ZGW resource the registry keeps: zgwLink(), and no personal data in its path or query
 * (`personal_data`: a zaak's URL names the zaak, not a person).
 */
export const zgwUrl = (kind: keyof typeof ZGW_EXAMPLES, description: string) =>
  withoutPersonalDataInLink(zgwLink()).meta({ description, example: ZGW_EXAMPLES[kind] });

/**
 * A link a list is filtered on: zgwLink() only. It is compared, never kept, so one the personal-data
 * rule would refuse still finds the records stored before the rule (the ones the stored-data report names).
 */
export const zgwUrlFilter = (kind: keyof typeof ZGW_EXAMPLES, description: string) =>
  zgwLink().meta({ description, example: ZGW_EXAMPLES[kind] });

const legalBasis = prose(1, 200).meta({
  description:
    'Juridische grondslag, for example `APV art. 3:4; Awb 5:32`. Legal references only: never names or other personal data (text that looks like an e-mail address, a mobile number or a BSN is refused).',
});

const caseReference = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/, 'must be 1 to 64 letters, digits, dots, dashes or slashes')
  .meta({ description: 'Zaaknummer in the municipality’s case system.' });

const actionFields = {
  establishmentId: Id.meta({ description: 'The establishment; cannot change after creation.' }),
  measure: Measure,
  grounds: z.array(Ground).min(1).max(8).meta({ description: 'One or more grounds, without repeats.', uniqueItems: true }),
  stage: Stage,
  decisionDate: dateInput('Besluitdatum (of the voornemen while intended); not in the future.'),
  fine: Fine.nullable().optional().meta({ description: 'Required for administrative_fine, absent otherwise.' }),
  penalty: PenaltyInput.nullable().optional().meta({ description: 'Required for penalty_order, absent otherwise.' }),
  closure: ClosureInput.nullable().optional().meta({ description: 'Required for closure, absent otherwise.' }),
  legalBasis: legalBasis.nullable().optional(),
  caseReference: caseReference.nullable().optional(),
  zaakUrl: zgwUrl(
    'zaak',
    'The zaak this decision belongs to, in the municipality’s Zaken API (ZGW), e.g. `https://zaken.gemeente.nl/zaken/api/v1/zaken/{uuid}`. Absolute http(s) URL; no personal data in its path or query (an e-mail address, a mobile number or a BSN is refused).',
  )
    .nullable()
    .optional(),
  besluitUrl: zgwUrl(
    'besluit',
    'The besluit that records this decision, in the municipality’s Besluiten API (ZGW), e.g. `https://besluiten.gemeente.nl/besluiten/api/v1/besluiten/{uuid}`. Absolute http(s) URL; no personal data in its path or query (an e-mail address, a mobile number or a BSN is refused).',
  )
    .nullable()
    .optional(),
  externalReference: ExternalReference.nullable().optional(),
};

const actionRules = (body: Record<string, unknown>) => checkEnforcementAction(body, todayInNetherlands());

export const EnforcementActionInput = alongsideSchemaIssues(z.strictObject(actionFields), actionRules).meta({
  id: 'EnforcementActionWrite',
  description: 'A bestuurlijke handhavingsmaatregel as sent to create (POST) it.',
});

/** A part of an action's merge patch (its penalty, its closure): the members to change, named, or null to remove it. */
const patchPart = <T extends z.ZodObject>(part: T, id: string, what: string) =>
  mergePatchOf(part, id, `a ${what}`)
    .nullable()
    .optional()
    .meta({ description: `Merged into the stored ${what}; null removes it.` });

/** PUT and PATCH; id, the municipality, licenceStatus and the stamps are set by the registry. */
export const {
  readOnly: ACTION_READ_ONLY,
  Replace: EnforcementActionReplace,
  Patch: EnforcementActionPatch,
} = revisionBodies({
  id: 'EnforcementAction',
  record: 'a bestuurlijke handhavingsmaatregel',
  fields: actionFields,
  readOnly: { id: Id, municipalityCode: MunicipalityCode, licenceStatus: LicenceStatusAtDecision, ...RecordStamps },
  check: actionRules,
  patch: {
    ...actionFields,
    establishmentId: actionFields.establishmentId.optional(),
    measure: Measure.optional(),
    grounds: actionFields.grounds.optional(),
    stage: Stage.optional(),
    decisionDate: actionFields.decisionDate.optional(),
    penalty: patchPart(PenaltyInput, 'PenaltyPatch', 'penalty'),
    closure: patchPart(ClosureInput, 'ClosurePatch', 'closure'),
  },
});

export const EnforcementAction = z
  .object({
    id: Id,
    establishmentId: Id,
    municipalityCode: MunicipalityCode.meta({ description: 'Taken from the establishment.' }),
    licenceStatus: LicenceStatusAtDecision,
    measure: Measure,
    grounds: z.array(Ground),
    stage: Stage,
    decisionDate: IsoDate,
    fine: Fine.nullable(),
    penalty: Penalty.nullable(),
    closure: Closure.nullable(),
    legalBasis: z.string().nullable(),
    caseReference: z.string().nullable(),
    zaakUrl: z.string().nullable().meta({ description: 'The linked zaak (Zaken API), or null.' }),
    besluitUrl: z.string().nullable().meta({ description: 'The linked besluit (Besluiten API), or null.' }),
    externalReference: z.string().nullable(),
    ...RecordStamps,
  })
  .meta({
    id: 'EnforcementAction',
    description: 'One decision by the mayor (burgemeester) against one establishment: a bestuurlijke handhavingsmaatregel.',
  });

export const EnforcementActionPage = pageOf(EnforcementAction, 'EnforcementActionPage');
