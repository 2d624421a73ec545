import { type PersonalDataKind, personalDataInRecord, personalDataInTexts, whyEntryNotRedactable } from '../../domain/personal-data.js';
import type { Db } from '../../infrastructure/db/client.js';
import { withTenant } from '../../infrastructure/db/tenant.js';
import { entryTextPage, storedTextPage, TEXT_SOURCES } from '../../infrastructure/repositories/stored-text.js';

/**
 * Personal data the registry keeps although the rule (src/domain/personal-data.ts) would refuse it
 * now: text or a link stored before the rule, or before it was made stricter. Names where, never the text.
 */
export type StoredPersonalData =
  | {
      in: 'record';
      objectType: string;
      objectId: string;
      municipalityCode: string | null;
      /** A tombstone: a deleted record whose content is kept for its trail (no PATCH reaches it). */
      deleted: boolean;
      field: string;
      found: PersonalDataKind;
    }
  | {
      in: 'audit-entry';
      seq: number;
      objectType: string;
      objectId: string;
      municipalityCode: string | null;
      /** `reason`, or the field in the record the entry keeps: `before.address.street`, `after.legalBasis`. */
      field: string;
      found: PersonalDataKind;
      /** Only on an entry whose text `personal-data:redact` cannot remove: why (an entry of chain format 1). */
      notRedactable?: string;
    };

export interface StoredPersonalDataSummary {
  recordsRead: number;
  entriesRead: number;
  /** Records, and audit entries, with at least one finding. */
  recordsWithPersonalData: number;
  entriesWithPersonalData: number;
}

/**
 * Reads every record's free text, then every audit entry's (reason, before, after), a page at a time
 * in short transactions of the all-municipalities scope, and hands each finding to `report` as it is
 * found: the report of a large registry is never held in memory.
 */
export async function findStoredPersonalData(
  db: Db,
  report: (finding: StoredPersonalData) => void,
  pageSize = 500,
): Promise<StoredPersonalDataSummary> {
  const summary: StoredPersonalDataSummary = { recordsRead: 0, entriesRead: 0, recordsWithPersonalData: 0, entriesWithPersonalData: 0 };
  const read = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(db, { kind: 'all' }, fn);

  for (const objectType of TEXT_SOURCES) {
    for (let after: string | null = null; ; ) {
      const page = await read((tx) => storedTextPage(tx, objectType, after, pageSize));
      for (const { texts, ...record } of page) {
        const findings = personalDataInTexts(objectType, texts);
        for (const finding of findings) report({ in: 'record', objectType, ...record, ...finding });
        if (findings.length > 0) summary.recordsWithPersonalData += 1;
      }
      summary.recordsRead += page.length;
      if (page.length < pageSize) break;
      after = page[page.length - 1]?.objectId ?? null;
    }
  }

  for (let afterSeq = 0; ; ) {
    const page = await read((tx) => entryTextPage(tx, afterSeq, pageSize));
    for (const { before, after, reason, action, hasContentHash, ...entry } of page) {
      const why = whyEntryNotRedactable({ action, hasContentHash });
      const findings = [
        ...personalDataInTexts(entry.objectType, { reason }),
        ...personalDataInRecord(entry.objectType, before).map((f) => ({ ...f, field: `before.${f.field}` })),
        ...personalDataInRecord(entry.objectType, after).map((f) => ({ ...f, field: `after.${f.field}` })),
      ];
      for (const finding of findings) report({ in: 'audit-entry', ...entry, ...finding, ...(why ? { notRedactable: why } : {}) });
      if (findings.length > 0) summary.entriesWithPersonalData += 1;
    }
    summary.entriesRead += page.length;
    if (page.length < pageSize) break;
    afterSeq = page[page.length - 1]?.seq ?? afterSeq;
  }
  return summary;
}
