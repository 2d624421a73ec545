-- The tenant policies read their settings once per statement instead of once per row. Since 0010 each
-- policy was registry_tenant_allows(municipality_code), inlined as a CASE over current_setting(): two
-- setting look-ups per row, and a condition no index can serve, so a list page read and filtered every
-- row of the municipality before sorting (and the planner, seeing an opaque filter, picked an index that
-- does not give the page's order). Here each setting is a scalar subquery (an InitPlan, evaluated once
-- when the statement runs), and the condition is `municipality_code = <the scope's municipality>`,
-- which the municipality's indexes serve. The meaning is the one of 0010, fail-closed:
--   app.scope = 'all'                          every row;
--   app.scope = 'municipality' with a code     that municipality's rows;
--   anything else (no setting, '', a municipality scope without a code, an unknown scope): NULL, so no
--   row is visible and no row passes WITH CHECK.
-- The same expression for USING and WITH CHECK, on every table with a tenant policy.
DO $$
DECLARE
  t record;
  allows constant text := $p$((SELECT current_setting('app.scope', true)) = 'all'
    OR municipality_code = (SELECT nullif(current_setting('app.municipality', true), '')
                             WHERE current_setting('app.scope', true) = 'municipality'))$p$;
BEGIN
  FOR t IN SELECT * FROM (VALUES
      ('establishments', 'establishments_tenant'),
      ('licences', 'licences_tenant'),
      ('enforcement_actions', 'enforcement_actions_tenant'),
      ('subscriptions', 'subscriptions_tenant'),
      ('imports', 'imports_tenant'),
      ('import_rows', 'import_rows_tenant'),
      ('reporting_attestations', 'reporting_attestations_tenant')
    ) AS p(tbl, policy)
  LOOP
    EXECUTE format('ALTER POLICY %I ON %I USING %s WITH CHECK %s', t.policy, t.tbl, allows, allows);
  END LOOP;
END $$;
