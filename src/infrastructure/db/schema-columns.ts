import { boolean, integer, type PgColumn, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Column builders the tables of every area share (spread into a table: `...changed()`). */

/** A point in time: timestamptz to the millisecond, read as a Date. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/** Who made and last changed a record, and its version (the ETag). */
export const changed = () => ({
  createdAt: ts('created_at').notNull(),
  updatedAt: ts('updated_at').notNull(),
  createdBy: uuid('created_by').notNull(),
  updatedBy: uuid('updated_by').notNull(),
  version: integer('version').notNull().default(1),
});

/** Deleted records stay as tombstones: when, by whom and why. */
export const tombstone = () => ({
  deletedAt: ts('deleted_at'),
  deletedBy: uuid('deleted_by'),
  deleteReason: text('delete_reason'),
});

/** A row that is part of another: a required reference to it, and deleting that row deletes this one. */
export const partOf = (name: string, key: () => PgColumn) => uuid(name).notNull().references(key, { onDelete: 'cascade' });

/**
 * The acting person (an officer: never a sex worker), when known: a token's subject, or who a system
 * declared (X-Acting-User). Kept with each audit entry, and with an import job for the entries its worker writes.
 */
export const actingPerson = () => ({
  actorId: text('actor_id'),
  actorName: text('actor_name'),
  /** true: from a user token the service verified; false: declared by a system (claim or header). */
  actorVerified: boolean('actor_verified'),
});
