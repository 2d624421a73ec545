import type pg from 'pg';

export const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Bulk-loads enforcement actions with generate_series (not through the API): spread over the ten
 * LPP municipalities' establishments and 2015–2025, a mix of measures and stages. Rows
 * `from`..`to` (1-based) so that a table can be grown step by step.
 */
export async function bulkLoadActions(c: pg.Client, from: number, to: number, createdBy: string): Promise<void> {
  await c.query(
    `insert into enforcement_actions (id, establishment_id, municipality_code, licence_status, measure, grounds, stage,
       decision_date, fine_amount_cents, created_at, updated_at, created_by, updated_by)
     select gen_random_uuid(), e.ids[1 + i % e.n], e.codes[1 + i % e.n],
            case when i % 7 = 0 then 'licensed' else 'unlicensed' end,
            (array['closure','administrative_fine','penalty_order','warning'])[1 + i % 4],
            array['unlicensed_operation'],
            (array['decided','objection','appeal','final','intended','withdrawn'])[1 + i % 6],
            date '2015-01-01' + (i % 4000)::int,
            case when i % 4 = 1 then 150000 end,
            now(), now(), $3::uuid, $3::uuid
       from (select array_agg(id order by id) ids, array_agg(municipality_code order by id) codes, count(*)::int n
               from establishments) e,
            generate_series($1::bigint, $2::bigint) as i`,
    [from, to, createdBy],
  );
}

/** Establishments (a few per municipality) created directly, for bulk loads. */
export async function bulkEstablishments(c: pg.Client, perMunicipality: number, createdBy: string): Promise<void> {
  await c.query(
    `insert into establishments (id, municipality_code, name, kind, street, house_number, postal_code, city,
       created_at, updated_at, created_by, updated_by)
     select gen_random_uuid(), m.code, 'Bulk ' || m.code || ' ' || n, 'club', 'Straat', n, '1012AB', 'Stad',
            now(), now(), $2::uuid, $2::uuid
       from municipalities m, generate_series(1, $1::int) n`,
    [perMunicipality, createdBy],
  );
}
