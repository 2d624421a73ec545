/**
 * Titles of the statistics' dimensions and of the codes, in Dutch and English: for the statistics
 * metadata (the CBS-style code lists), the CSV label columns (the Dutch title) and the dashboard.
 * Pure data, in one table.
 */
import type { Ground, LicenceStatusAtDecision, Measure, Programme, StageName } from './codes.js';
import type { Dimension } from './statistics.js';

export interface Title {
  nl: string;
  en: string;
}

/** The codes that have titles: the lists' codes are distinct from each other, so one table holds them all. */
export type TitledCode = LicenceStatusAtDecision | Measure | Ground | StageName | Programme;

const TITLES: Record<Dimension | TitledCode, Title> = {
  // the dimensions figures are grouped by
  year: { nl: 'Perioden', en: 'Periods' },
  municipality: { nl: 'Gemeenten', en: 'Municipalities' },
  licenceStatus: { nl: 'Vergunningstatus', en: 'Licence status' },
  measure: { nl: 'Maatregel', en: 'Measure' },
  ground: { nl: 'Grond', en: 'Ground' },
  stage: { nl: 'Fase', en: 'Stage' },
  // licence status on the decision date
  licensed: { nl: 'vergund', en: 'licensed' },
  unlicensed: { nl: 'onvergund', en: 'unlicensed' },
  // measures
  closure: { nl: 'sluiting', en: 'closure' },
  administrative_fine: { nl: 'bestuurlijke boete', en: 'administrative fine' },
  penalty_order: { nl: 'last onder dwangsom', en: 'order subject to a penalty' },
  administrative_coercion: { nl: 'last onder bestuursdwang', en: 'administrative coercion' },
  warning: { nl: 'waarschuwing', en: 'warning' },
  licence_suspension: { nl: 'schorsing vergunning', en: 'licence suspension' },
  licence_revocation: { nl: 'intrekking vergunning', en: 'licence revocation' },
  // grounds
  no_manager_present: { nl: 'geen beheerder aanwezig', en: 'no manager present' },
  licence_condition_breach: { nl: 'overtreding vergunningvoorschriften', en: 'breach of licence conditions' },
  hygiene: { nl: 'hygiëne', en: 'hygiene' },
  worker_without_valid_id: { nl: 'sekswerker zonder geldig identiteitsbewijs', en: 'sex worker without valid ID' },
  unlicensed_operation: { nl: 'exploitatie zonder vergunning', en: 'operating without a licence' },
  underage_worker: { nl: 'minderjarige sekswerker', en: 'underage sex worker' },
  trafficking_indicators: { nl: 'signalen mensenhandel', en: 'indicators of human trafficking' },
  other: { nl: 'overig', en: 'other' },
  // stages
  intended: { nl: 'voornemen', en: 'intended' },
  decided: { nl: 'besluit', en: 'decided' },
  objection: { nl: 'bezwaar', en: 'objection' },
  appeal: { nl: 'beroep', en: 'appeal' },
  final: { nl: 'onherroepelijk', en: 'final' },
  withdrawn: { nl: 'ingetrokken', en: 'withdrawn' },
  annulled: { nl: 'vernietigd', en: 'annulled' },
  // programmes
  LPP: { nl: 'Landelijk Programma Prostitutie', en: 'National Prostitution Programme' },
};

/** The title of a dimension or a code. */
export const titleOf = (name: Dimension | TitledCode): Title => TITLES[name];

/** The Dutch title of a stored code, for a CSV label column; empty for a value no code list has. */
export const dutchLabel = (value: string): string => (Object.hasOwn(TITLES, value) ? TITLES[value as TitledCode].nl : '');

/** The code of a total over a dimension, as CBS uses T001… codes for totals. */
export const TOTAL_CODE = 'T001';
export const TOTAL_TITLE: Title = { nl: 'totaal', en: 'total' };
