/**
 * Titles of the codes, in Dutch and English: for the statistics metadata (the CBS-style code lists)
 * and the dashboard. Pure data; the Dutch titles are the ones CSV columns already use (LABELS).
 */
import type { Ground, LicenceStatusAtDecision, Measure, Programme, StageName } from './codes.js';

export interface Title {
  nl: string;
  en: string;
}

export const LICENCE_STATUS_TITLES: Record<LicenceStatusAtDecision, Title> = {
  licensed: { nl: 'vergund', en: 'licensed' },
  unlicensed: { nl: 'onvergund', en: 'unlicensed' },
};

export const MEASURE_TITLES: Record<Measure, Title> = {
  closure: { nl: 'sluiting', en: 'closure' },
  administrative_fine: { nl: 'bestuurlijke boete', en: 'administrative fine' },
  penalty_order: { nl: 'last onder dwangsom', en: 'order subject to a penalty' },
  administrative_coercion: { nl: 'last onder bestuursdwang', en: 'administrative coercion' },
  warning: { nl: 'waarschuwing', en: 'warning' },
  licence_suspension: { nl: 'schorsing vergunning', en: 'licence suspension' },
  licence_revocation: { nl: 'intrekking vergunning', en: 'licence revocation' },
};

export const GROUND_TITLES: Record<Ground, Title> = {
  no_manager_present: { nl: 'geen beheerder aanwezig', en: 'no manager present' },
  licence_condition_breach: { nl: 'overtreding vergunningvoorschriften', en: 'breach of licence conditions' },
  hygiene: { nl: 'hygiëne', en: 'hygiene' },
  worker_without_valid_id: { nl: 'sekswerker zonder geldig identiteitsbewijs', en: 'sex worker without valid ID' },
  unlicensed_operation: { nl: 'exploitatie zonder vergunning', en: 'operating without a licence' },
  underage_worker: { nl: 'minderjarige sekswerker', en: 'underage sex worker' },
  trafficking_indicators: { nl: 'signalen mensenhandel', en: 'indicators of human trafficking' },
  other: { nl: 'overig', en: 'other' },
};

export const STAGE_TITLES: Record<StageName, Title> = {
  intended: { nl: 'voornemen', en: 'intended' },
  decided: { nl: 'besluit', en: 'decided' },
  objection: { nl: 'bezwaar', en: 'objection' },
  appeal: { nl: 'beroep', en: 'appeal' },
  final: { nl: 'onherroepelijk', en: 'final' },
  withdrawn: { nl: 'ingetrokken', en: 'withdrawn' },
  annulled: { nl: 'vernietigd', en: 'annulled' },
};

export const PROGRAMME_TITLES: Record<Programme, Title> = {
  LPP: { nl: 'Landelijk Programma Prostitutie', en: 'National Prostitution Programme' },
};

/** The code of a total over a dimension, as CBS uses T001… codes for totals. */
export const TOTAL_CODE = 'T001';
export const TOTAL_TITLE: Title = { nl: 'totaal', en: 'total' };
