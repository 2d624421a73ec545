import type { AuditObjectType } from '../../domain/codes.js';
import { type InvalidParam, RuleViolation } from '../../domain/errors.js';
import { isRedactableField, personalDataInField, whyEntryNotRedactable } from '../../domain/personal-data.js';
import { valueAt } from '../../infrastructure/audit/chain.js';
import { type AuditEntryRow, entryAt, redactEntry } from '../../infrastructure/audit/redaction.js';
import { type StoredText, storedTextOf, TEXT_SOURCES, type TextSourceName } from '../../infrastructure/repositories/stored-text.js';
import type { RequestContext } from '../context.js';
import type { Change, CommandRunner } from './run.js';

/** Fields of one audit entry to redact: `reason`, or the record's free text or link it keeps (`before.address.street`, `after.zaakUrl`). */
export interface RedactionRequest {
  seq: number;
  fields: readonly string[];
}

export interface RedactedEntry {
  seq: number;
  objectType: string;
  objectId: string;
  fields: string[];
  /** The content hash the entry has since; its `redact` entry records it for the verifier. */
  contentHash: string;
}

/** `{establishmentId}` when the entry's record names the establishment it is under (a licence, an action). */
function establishmentOf(entry: AuditEntryRow): { establishmentId?: string } {
  const id = valueAt(entry, 'after.establishmentId') ?? valueAt(entry, 'before.establishmentId');
  return typeof id === 'string' ? { establishmentId: id } : {};
}

/**
 * Redaction of personal data from the audit trail (docs/audit-trail.md#redaction): text stored before
 * the personal-data rule refused it is replaced, in the entries that keep it, by a fixed text, through
 * the database's one controlled path (migration 0025); a `redact` entry per record, chained like any
 * other, records who, when, why, which fields of which entries and the content hash each has since, so
 * the chain still verifies. No event is announced: the record itself does not change.
 *
 * Every named field must be an entry's reason or its record's free text (isRedactableField), hold a
 * text in which the rule finds personal data, and not be the text the record holds now: the record is
 * mended first (a PATCH), so that the entry of its current version keeps matching it. All or nothing,
 * in one transaction: a RuleViolation lists every field that cannot be redacted, and nothing changes.
 */
export function createRedactionCommands(runner: CommandRunner) {
  function redact(ctx: RequestContext, requests: readonly RedactionRequest[]): Promise<RedactedEntry[]> {
    return runner.run(ctx, async (tx) => {
      const problems: InvalidParam[] = [];
      const accepted: { entry: AuditEntryRow; fields: string[] }[] = [];
      // The text each record holds now, read once per record however many of its entries are named.
      const records = new Map<string, Promise<StoredText | null>>();
      const recordOf = (entry: AuditEntryRow) => {
        const kind = TEXT_SOURCES.includes(entry.objectType as TextSourceName) ? (entry.objectType as TextSourceName) : null;
        const key = `${entry.objectType}:${entry.objectId}`;
        if (!records.has(key)) records.set(key, kind ? storedTextOf(tx, kind, entry.objectId) : Promise.resolve(null));
        return records.get(key) as Promise<StoredText | null>;
      };
      for (const { seq, fields } of requests) {
        const entry = await entryAt(tx, seq);
        if (!entry) {
          problems.push({ name: `${seq}`, code: 'not_found', reason: 'there is no audit entry with this seq' });
          continue;
        }
        const why = whyEntryNotRedactable({ action: entry.action, hasContentHash: entry.contentHash !== null });
        if (why) {
          problems.push({ name: `${seq}`, code: 'not_redactable', reason: why });
          continue;
        }
        const record = await recordOf(entry);
        const ok: string[] = [];
        for (const field of new Set(fields)) {
          const problem = (code: string, reason: string) => problems.push({ name: `${seq}.${field}`, code, reason });
          const text = valueAt(entry, field);
          if (!isRedactableField(entry.objectType, field)) {
            problem('not_redactable', 'only an entry’s reason and the free text and links of its record are redacted');
          } else if (typeof text !== 'string' || text.length === 0) {
            problem('no_text', 'the entry holds no text here');
          } else if (!personalDataInField(entry.objectType, field.slice(field.indexOf('.') + 1), text)) {
            problem('no_personal_data', 'the personal-data rule finds nothing here');
          } else if (field !== 'reason' && record?.texts[field.slice(field.indexOf('.') + 1)] === text) {
            problem('record_holds_it', 'the record still holds this text: replace it in the record first (PATCH)');
          } else {
            ok.push(field);
          }
        }
        if (ok.length > 0) accepted.push({ entry, fields: ok });
      }
      if (problems.length > 0) throw new RuleViolation(problems);

      const redacted: RedactedEntry[] = [];
      const byRecord = new Map<string, { entry: AuditEntryRow; items: { seq: number; fields: string[]; contentHash: string }[] }>();
      for (const { entry, fields } of accepted) {
        const contentHash = await redactEntry(tx, entry.seq, fields);
        redacted.push({ seq: entry.seq, objectType: entry.objectType, objectId: entry.objectId, fields, contentHash });
        const key = `${entry.objectType}:${entry.objectId}`;
        const group = byRecord.get(key) ?? { entry, items: [] };
        group.items.push({ seq: entry.seq, fields, contentHash });
        byRecord.set(key, group);
      }
      const changes: Change[] = [...byRecord.values()].map(({ entry, items }) => ({
        action: 'redact',
        objectType: entry.objectType as AuditObjectType,
        objectId: entry.objectId,
        municipalityCode: entry.municipalityCode,
        before: null,
        // The establishment a licence or an action is under, as a destruction names it: a licence's
        // redaction then shows in its establishment's trail (repositories/audit-trail.ts).
        after: { ...establishmentOf(entry), redactedEntries: items },
      }));
      return { value: redacted, changes };
    });
  }

  return { redact };
}
