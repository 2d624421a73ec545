import { z } from 'zod';
import type { InvalidParam } from '../../domain/errors.js';
import { PageMeta, Timestamp, Version } from './common.js';
import { alongsideSchemaIssues } from './rules.js';

/**
 * What the schemas of every stored record share: its page, its stamps, and the read-only members
 * its PUT and PATCH bodies may carry back unchanged, with their descriptions.
 */

/** A page of a collection: its items and where it stands, named `id` in the document. */
export const pageOf = <T extends z.ZodType>(item: T, id: string) => z.object({ items: z.array(item), ...PageMeta }).meta({ id });

/** What every stored record shows last: when it was created and last changed, and its version (its ETag). */
export const RecordStamps = { createdAt: Timestamp, updatedAt: Timestamp, version: Version };

/** A field the registry sets, accepted in a PUT or PATCH body only with its stored value. */
const readOnly = <T extends z.ZodType>(schema: T) =>
  schema.optional().meta({ description: 'Read-only: may be sent back as read; a different value is invalid (code `read_only`).' });

/** The read-only members of a PUT body, each accepted only with its stored value. */
export const readOnlyMembers = <R extends Record<string, z.ZodType>>(fields: R) =>
  Object.fromEntries(Object.entries(fields).map(([name, schema]) => [name, readOnly(schema)])) as {
    [K in keyof R]: ReturnType<typeof readOnly<R[K]>>;
  };

export const READ_ONLY_RULE =
  'The read-only fields of the record (id, version, timestamps, derived fields) may be sent back exactly as a GET returned them, so that a read representation can be PUT after editing it; a different value is invalid (invalidParams code `read_only`).';

const MERGE_PATCH_RULE =
  'Send it as `application/merge-patch+json` with If-Match: members present replace the stored ones (objects merge member by member, arrays are replaced whole), `null` removes an optional member, absent members stay. The merged record must be valid as a whole: the same rules as a PUT, every error listed together.';

/**
 * The merge patch of a part of a record (its address, its penalty): each member may be left out (it
 * stays as stored), and a member the part may go without may also be null, which removes it (RFC 7396).
 */
export const mergePatchOf = <T extends z.ZodObject>(part: T, id: string, what: string) => {
  const removable = Object.fromEntries(
    Object.entries(part.shape as Record<string, z.ZodType>)
      .filter(([, member]) => member.safeParse(undefined).success && !member.safeParse(null).success)
      .map(([name, member]) => [name, member.nullable()]),
  );
  return part
    .partial()
    .extend(removable)
    .meta({ id, description: `The members of ${what} to change; the others stay as stored.` });
};

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The PUT and PATCH bodies of a record, `${id}Replace` and `${id}Patch` in the document: a PUT
 * carries every field, a PATCH (JSON Merge Patch) the `patch` members; both may carry the fields
 * the registry sets (`readOnly`) back unchanged. `check` lists the record's cross-field rules with
 * the schema issues of a PUT (rules.ts). `record` names it in the descriptions: `a seksinrichting`.
 */
export function revisionBodies<F extends z.ZodRawShape, R extends Record<string, z.ZodType>, P extends z.ZodRawShape>(spec: {
  id: string;
  record: string;
  fields: F;
  readOnly: R;
  patch: P;
  check?: (body: Record<string, unknown>) => InvalidParam[];
}) {
  const members = readOnlyMembers(spec.readOnly);
  const put = z.strictObject({ ...spec.fields, ...members });
  return {
    /** The names of the read-only fields, for the routes (src/http/routes/revisions.ts). */
    readOnly: Object.keys(members),
    Replace: (spec.check ? alongsideSchemaIssues(put, spec.check) : put).meta({
      id: `${spec.id}Replace`,
      description: `${capitalized(spec.record)} as sent to replace (PUT) it: every field, as with a create. ${READ_ONLY_RULE}`,
    }),
    Patch: z
      .strictObject({ ...spec.patch, ...members })
      .meta({ id: `${spec.id}Patch`, description: `A JSON Merge Patch (RFC 7396) of ${spec.record}. ${MERGE_PATCH_RULE}` }),
  };
}
