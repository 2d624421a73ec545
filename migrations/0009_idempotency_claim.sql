-- An idempotent create's claim on its key in ONE round trip: the (client, key) advisory lock, then,
-- with a snapshot taken after the lock (a VOLATILE PL/pgSQL function takes one per statement), whether
-- a live record of the key already exists. Two statements did the same; a single plain SELECT could
-- not, because its snapshot would predate the lock and miss a duplicate that committed meanwhile.
CREATE OR REPLACE FUNCTION idempotency_claim(lock_a integer, lock_b integer, for_client uuid, for_key text)
RETURNS TABLE (locked boolean, known boolean)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF NOT pg_try_advisory_xact_lock(lock_a, lock_b) THEN
    RETURN QUERY SELECT false, false;
    RETURN;
  END IF;
  RETURN QUERY SELECT true, EXISTS (
    SELECT 1 FROM idempotency_keys k WHERE k.client_id = for_client AND k.key = for_key AND k.expires_at > now());
END
$$;
