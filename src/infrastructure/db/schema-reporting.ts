import { sql } from 'drizzle-orm';
import { boolean, check, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { belongsToMunicipality } from './schema.js';
import { changed, tombstone, ts } from './schema-columns.js';

/**
 * Verklaringen van volledigheid: a municipality states that its records for a year are complete,
 * possibly with nothing to report. A record like any other (version, audit, withdrawal as a
 * tombstone with a reason); one live attestation per municipality and year (migration 0017).
 */
export const reportingAttestations = pgTable(
  'reporting_attestations',
  {
    id: uuid('id').primaryKey(),
    ...belongsToMunicipality(),
    year: integer('year').notNull(),
    complete: boolean('complete').notNull(),
    nothingToReport: boolean('nothing_to_report').notNull(),
    statement: text('statement'),
    attestedAt: ts('attested_at').notNull(),
    attestedBy: text('attested_by').notNull(),
    ...changed(),
    ...tombstone(),
  },
  (t) => [
    uniqueIndex('reporting_attestations_live').on(t.municipalityCode, t.year).where(sql`${t.deletedAt} is null`),
    check('reporting_attestations_year', sql`${t.year} between 1900 and 2200`),
    check('reporting_attestations_complete', sql`${t.complete}`),
  ],
);

/** Immutable numbered releases of a statistics table (append-only, migration 0017). */
export const statisticsReleases = pgTable('statistics_releases', {
  number: integer('number').primaryKey(),
  publishedAt: ts('published_at').notNull(),
  publishedBy: uuid('published_by'),
  asOf: ts('as_of').notNull(),
  title: text('title').notNull(),
  query: jsonb('query').notNull(),
  countingRule: jsonb('counting_rule').notNull(),
  items: jsonb('items').notNull(),
});

/** Open data as computed at one fixed moment, served unchanged until the next (append-only, migration 0017). */
export const openDataReleases = pgTable('open_data_releases', {
  moment: ts('moment').primaryKey(),
  computedAt: ts('computed_at').notNull(),
  content: jsonb('content').notNull(),
});
