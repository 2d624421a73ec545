-- The head of the audit chain, taken under the chain's advisory lock, in ONE round trip.
-- appendAudit used to send `select pg_advisory_xact_lock(k)` and then `select seq, hash ... limit 1`;
-- a single plain statement cannot do both, because its snapshot is taken before it waits for the
-- lock and could miss an entry committed meanwhile. In a VOLATILE PL/pgSQL function each statement
-- takes a new snapshot (READ COMMITTED), so the SELECT runs after the lock is held and sees every
-- entry committed before it: the same guarantee as the two statements, one round trip less while
-- the lock is held.
CREATE OR REPLACE FUNCTION audit_chain_head(lock_key bigint)
RETURNS TABLE (seq bigint, hash text)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  RETURN QUERY SELECT a.seq, a.hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
END
$$;
