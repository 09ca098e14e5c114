import type { SqlPool } from './pool.ts';

/**
 * Versioned, forward-only migrations of the event-store schema. Each runs once, in a
 * transaction, under an advisory lock so concurrent starters cannot race each other.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** SQL with `{schema}` standing for the quoted schema name. */
  readonly sql: string;
}

/**
 * Ordering design (DESIGN.md section 2, option b). A global position is
 * `txid * 65536 + index-in-append`, where `txid` is the appending transaction's xid8 and each
 * append is exactly one transaction. Readers only look below
 * `pg_snapshot_xmin(pg_current_snapshot()) * 65536`: every transaction under that horizon has
 * ended, so no event can later appear below a position a reader has already passed. Writers
 * on different streams never wait for each other; the price is that a reader waits for the
 * oldest transaction in flight (keep write transactions short).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events and streams',
    sql: `
CREATE TABLE {schema}.streams (
  stream_id text PRIMARY KEY,
  revision  bigint NOT NULL
);
CREATE TABLE {schema}.events (
  position    bigint PRIMARY KEY,
  stream_id   text NOT NULL,
  revision    bigint NOT NULL,
  event_id    uuid NOT NULL,
  type        text NOT NULL,
  data        json NOT NULL,
  metadata    json NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_stream_revision UNIQUE (stream_id, revision),
  CONSTRAINT events_stream_event_id UNIQUE (stream_id, event_id)
);

-- The visibility horizon: positions below it belong to ended transactions only.
CREATE FUNCTION {schema}.visible_horizon() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint * 65536
$$;

-- One round trip, one transaction per append. Outcomes: ok, idempotent, wrong_expected_version,
-- partial_duplicate. p_expected: -2 any, -1 no_stream, -3 stream_exists, >= 0 exact revision.
-- p_check_first: look for the batch's ids before writing. The first attempt skips it: a retried
-- batch either fails its expectation (checked below) or hits the unique event id, and the
-- client then calls again with p_check_first.
CREATE FUNCTION {schema}.append_events(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data json[], p_meta json[],
  p_check_first boolean
) RETURNS TABLE (outcome text, next_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  n        int := cardinality(p_ids);
  v_found  int;
  v_rev    bigint;
  v_pos    bigint;
  v_tx     bigint;
BEGIN
  IF p_check_first THEN
    SELECT count(*), max(e.revision), max(e.position) INTO v_found, v_rev, v_pos
      FROM {schema}.events e WHERE e.stream_id = p_stream AND e.event_id = ANY (p_ids);
    IF v_found = n THEN
      RETURN QUERY SELECT 'idempotent'::text, v_rev, v_pos; RETURN;
    ELSIF v_found > 0 THEN
      RETURN QUERY SELECT 'partial_duplicate'::text, v_found::bigint, NULL::bigint; RETURN;
    END IF;
  END IF;

  IF p_expected = -2 THEN
    INSERT INTO {schema}.streams AS s (stream_id, revision) VALUES (p_stream, n - 1)
      ON CONFLICT (stream_id) DO UPDATE SET revision = s.revision + n
      RETURNING s.revision INTO v_rev;
  ELSIF p_expected = -1 THEN
    INSERT INTO {schema}.streams (stream_id, revision) VALUES (p_stream, n - 1)
      ON CONFLICT (stream_id) DO NOTHING
      RETURNING revision INTO v_rev;
  ELSIF p_expected = -3 THEN
    UPDATE {schema}.streams SET revision = revision + n WHERE stream_id = p_stream
      RETURNING revision INTO v_rev;
  ELSE
    UPDATE {schema}.streams SET revision = revision + n
      WHERE stream_id = p_stream AND revision = p_expected
      RETURNING revision INTO v_rev;
  END IF;

  IF v_rev IS NULL THEN
    -- A concurrent retry of this very batch may have committed while we waited on the stream row.
    SELECT count(*), max(e.revision), max(e.position) INTO v_found, v_rev, v_pos
      FROM {schema}.events e WHERE e.stream_id = p_stream AND e.event_id = ANY (p_ids);
    IF v_found = n THEN
      RETURN QUERY SELECT 'idempotent'::text, v_rev, v_pos; RETURN;
    ELSIF v_found > 0 THEN
      RETURN QUERY SELECT 'partial_duplicate'::text, v_found::bigint, NULL::bigint; RETURN;
    END IF;
    SELECT s.revision INTO v_rev FROM {schema}.streams s WHERE s.stream_id = p_stream;
    RETURN QUERY SELECT 'wrong_expected_version'::text, coalesce(v_rev, -1), NULL::bigint; RETURN;
  END IF;

  v_tx := pg_current_xact_id()::text::bigint;
  INSERT INTO {schema}.events (position, stream_id, revision, event_id, type, data, metadata)
    SELECT v_tx * 65536 + t.i - 1, p_stream, v_rev - n + t.i, t.id, t.type, t.data, t.meta
      FROM unnest(p_ids, p_types, p_data, p_meta) WITH ORDINALITY AS t(id, type, data, meta, i);
  RETURN QUERY SELECT 'ok'::text, v_rev, v_tx * 65536 + n - 1;
END
$$;
`,
  },
  {
    version: 2,
    name: 'stream heads',
    // The stream row, updated by every append anyway, also keeps the hash of the stream's last
    // event (the hash-chain decorator's `metadata.hash`; NULL for unchained events). `ledger
    // verify` compares it with the events, so deleting a stream's last events, or all of them,
    // no longer leaves a valid shorter chain. Same statement, same transaction: no extra round
    // trip and no new point of contention.
    sql: `
ALTER TABLE {schema}.streams ADD COLUMN head_hash text;
UPDATE {schema}.streams s SET head_hash = e.metadata ->> 'hash'
  FROM {schema}.events e WHERE e.stream_id = s.stream_id AND e.revision = s.revision;

CREATE OR REPLACE FUNCTION {schema}.append_events(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data json[], p_meta json[],
  p_check_first boolean
) RETURNS TABLE (outcome text, next_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  n        int := cardinality(p_ids);
  v_head   text := p_meta[cardinality(p_meta)] ->> 'hash';
  v_found  int;
  v_rev    bigint;
  v_pos    bigint;
  v_tx     bigint;
BEGIN
  IF p_check_first THEN
    SELECT count(*), max(e.revision), max(e.position) INTO v_found, v_rev, v_pos
      FROM {schema}.events e WHERE e.stream_id = p_stream AND e.event_id = ANY (p_ids);
    IF v_found = n THEN
      RETURN QUERY SELECT 'idempotent'::text, v_rev, v_pos; RETURN;
    ELSIF v_found > 0 THEN
      RETURN QUERY SELECT 'partial_duplicate'::text, v_found::bigint, NULL::bigint; RETURN;
    END IF;
  END IF;

  IF p_expected = -2 THEN
    INSERT INTO {schema}.streams AS s (stream_id, revision, head_hash) VALUES (p_stream, n - 1, v_head)
      ON CONFLICT (stream_id) DO UPDATE SET revision = s.revision + n, head_hash = v_head
      RETURNING s.revision INTO v_rev;
  ELSIF p_expected = -1 THEN
    INSERT INTO {schema}.streams (stream_id, revision, head_hash) VALUES (p_stream, n - 1, v_head)
      ON CONFLICT (stream_id) DO NOTHING
      RETURNING revision INTO v_rev;
  ELSIF p_expected = -3 THEN
    UPDATE {schema}.streams SET revision = revision + n, head_hash = v_head
      WHERE stream_id = p_stream
      RETURNING revision INTO v_rev;
  ELSE
    UPDATE {schema}.streams SET revision = revision + n, head_hash = v_head
      WHERE stream_id = p_stream AND revision = p_expected
      RETURNING revision INTO v_rev;
  END IF;

  IF v_rev IS NULL THEN
    -- A concurrent retry of this very batch may have committed while we waited on the stream row.
    SELECT count(*), max(e.revision), max(e.position) INTO v_found, v_rev, v_pos
      FROM {schema}.events e WHERE e.stream_id = p_stream AND e.event_id = ANY (p_ids);
    IF v_found = n THEN
      RETURN QUERY SELECT 'idempotent'::text, v_rev, v_pos; RETURN;
    ELSIF v_found > 0 THEN
      RETURN QUERY SELECT 'partial_duplicate'::text, v_found::bigint, NULL::bigint; RETURN;
    END IF;
    SELECT s.revision INTO v_rev FROM {schema}.streams s WHERE s.stream_id = p_stream;
    RETURN QUERY SELECT 'wrong_expected_version'::text, coalesce(v_rev, -1), NULL::bigint; RETURN;
  END IF;

  v_tx := pg_current_xact_id()::text::bigint;
  INSERT INTO {schema}.events (position, stream_id, revision, event_id, type, data, metadata)
    SELECT v_tx * 65536 + t.i - 1, p_stream, v_rev - n + t.i, t.id, t.type, t.data, t.meta
      FROM unnest(p_ids, p_types, p_data, p_meta) WITH ORDINALITY AS t(id, type, data, meta, i);
  RETURN QUERY SELECT 'ok'::text, v_rev, v_tx * 65536 + n - 1;
END
$$;
`,
  },
  {
    version: 3,
    name: 'group commit',
    // Several appends in one transaction (ADR 0004). The append logic moves to
    // `append_stream`, which takes the offset of its first event within the transaction's
    // position range; `append_events` (one append, offset 0) and `append_events_batch` (many
    // appends, one transaction) both call it, so the rules exist once.
    sql: `
CREATE FUNCTION {schema}.append_stream(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data json[], p_meta json[],
  p_check_first boolean, p_offset int
) RETURNS TABLE (outcome text, next_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  n        int := cardinality(p_ids);
  v_head   text := p_meta[cardinality(p_meta)] ->> 'hash';
  v_found  int;
  v_rev    bigint;
  v_pos    bigint;
  v_tx     bigint;
BEGIN
  IF p_check_first THEN
    SELECT count(*), max(e.revision), max(e.position) INTO v_found, v_rev, v_pos
      FROM {schema}.events e WHERE e.stream_id = p_stream AND e.event_id = ANY (p_ids);
    IF v_found = n THEN
      RETURN QUERY SELECT 'idempotent'::text, v_rev, v_pos; RETURN;
    ELSIF v_found > 0 THEN
      RETURN QUERY SELECT 'partial_duplicate'::text, v_found::bigint, NULL::bigint; RETURN;
    END IF;
  END IF;

  IF p_expected = -2 THEN
    INSERT INTO {schema}.streams AS s (stream_id, revision, head_hash) VALUES (p_stream, n - 1, v_head)
      ON CONFLICT (stream_id) DO UPDATE SET revision = s.revision + n, head_hash = v_head
      RETURNING s.revision INTO v_rev;
  ELSIF p_expected = -1 THEN
    INSERT INTO {schema}.streams (stream_id, revision, head_hash) VALUES (p_stream, n - 1, v_head)
      ON CONFLICT (stream_id) DO NOTHING
      RETURNING revision INTO v_rev;
  ELSIF p_expected = -3 THEN
    UPDATE {schema}.streams SET revision = revision + n, head_hash = v_head
      WHERE stream_id = p_stream
      RETURNING revision INTO v_rev;
  ELSE
    UPDATE {schema}.streams SET revision = revision + n, head_hash = v_head
      WHERE stream_id = p_stream AND revision = p_expected
      RETURNING revision INTO v_rev;
  END IF;

  IF v_rev IS NULL THEN
    -- A concurrent retry of this very batch may have committed while we waited on the stream row.
    SELECT count(*), max(e.revision), max(e.position) INTO v_found, v_rev, v_pos
      FROM {schema}.events e WHERE e.stream_id = p_stream AND e.event_id = ANY (p_ids);
    IF v_found = n THEN
      RETURN QUERY SELECT 'idempotent'::text, v_rev, v_pos; RETURN;
    ELSIF v_found > 0 THEN
      RETURN QUERY SELECT 'partial_duplicate'::text, v_found::bigint, NULL::bigint; RETURN;
    END IF;
    SELECT s.revision INTO v_rev FROM {schema}.streams s WHERE s.stream_id = p_stream;
    RETURN QUERY SELECT 'wrong_expected_version'::text, coalesce(v_rev, -1), NULL::bigint; RETURN;
  END IF;

  v_tx := pg_current_xact_id()::text::bigint;
  INSERT INTO {schema}.events (position, stream_id, revision, event_id, type, data, metadata)
    SELECT v_tx * 65536 + p_offset + t.i - 1, p_stream, v_rev - n + t.i, t.id, t.type, t.data, t.meta
      FROM unnest(p_ids, p_types, p_data, p_meta) WITH ORDINALITY AS t(id, type, data, meta, i);
  RETURN QUERY SELECT 'ok'::text, v_rev, v_tx * 65536 + p_offset + n - 1;
END
$$;

CREATE OR REPLACE FUNCTION {schema}.append_events(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data json[], p_meta json[],
  p_check_first boolean
) RETURNS TABLE (outcome text, next_revision bigint, last_position bigint)
LANGUAGE sql AS $$
  SELECT * FROM {schema}.append_stream(p_stream, p_expected, p_ids, p_types, p_data, p_meta, p_check_first, 0)
$$;

-- Appends to several streams in one transaction: entry k covers events
-- p_counts[1] + … + p_counts[k-1] + 1 … + p_counts[k] of the event arrays, and its events take
-- positions after those of the entries before it. Each entry answers as append_events would;
-- an entry refused (wrong expected version, duplicate) does not undo the others. The caller
-- orders the entries by stream so two batches lock stream rows in the same order.
CREATE FUNCTION {schema}.append_events_batch(
  p_streams text[], p_expected bigint[], p_counts int[], p_ids uuid[], p_types text[],
  p_data json[], p_meta json[]
) RETURNS TABLE (outcome text, next_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_from int := 1;
  v_to   int;
BEGIN
  FOR k IN 1 .. cardinality(p_streams) LOOP
    v_to := v_from + p_counts[k] - 1;
    RETURN QUERY SELECT * FROM {schema}.append_stream(
      p_streams[k], p_expected[k], p_ids[v_from:v_to], p_types[v_from:v_to],
      p_data[v_from:v_to], p_meta[v_from:v_to], false, v_from - 1);
    v_from := v_to + 1;
  END LOOP;
END
$$;
`,
  },
  {
    version: 4,
    name: 'group commit, one insert',
    // Migration 3's batch called `append_stream` per append: a statement and a function call
    // each, and slices of the event arrays. This one settles every append's expected revision
    // first (the same rules as `append_stream`, applied to the `streams` row), then writes the
    // events of all accepted appends with one INSERT, their positions following batch order.
    sql: `
CREATE OR REPLACE FUNCTION {schema}.append_events_batch(
  p_streams text[], p_expected bigint[], p_counts int[], p_ids uuid[], p_types text[],
  p_data json[], p_meta json[]
) RETURNS TABLE (outcome text, next_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_tx     bigint := pg_current_xact_id()::text::bigint;
  v_from   int := 1;
  v_to     int;
  n        int;
  v_head   text;
  v_found  int;
  v_rev    bigint;
  v_pos    bigint;
  v_stream text[] := '{}';
  v_revs   bigint[] := '{}';
  v_out    text[] := '{}';
  v_next   bigint[] := '{}';
  v_last   bigint[] := '{}';
BEGIN
  FOR k IN 1 .. cardinality(p_streams) LOOP
    n := p_counts[k];
    v_to := v_from + n - 1;
    v_head := p_meta[v_to] ->> 'hash';
    v_rev := NULL;
    IF p_expected[k] = -2 THEN
      INSERT INTO {schema}.streams AS s (stream_id, revision, head_hash) VALUES (p_streams[k], n - 1, v_head)
        ON CONFLICT (stream_id) DO UPDATE SET revision = s.revision + n, head_hash = v_head
        RETURNING s.revision INTO v_rev;
    ELSIF p_expected[k] = -1 THEN
      INSERT INTO {schema}.streams (stream_id, revision, head_hash) VALUES (p_streams[k], n - 1, v_head)
        ON CONFLICT (stream_id) DO NOTHING
        RETURNING revision INTO v_rev;
    ELSIF p_expected[k] = -3 THEN
      UPDATE {schema}.streams SET revision = revision + n, head_hash = v_head
        WHERE stream_id = p_streams[k] RETURNING revision INTO v_rev;
    ELSE
      UPDATE {schema}.streams SET revision = revision + n, head_hash = v_head
        WHERE stream_id = p_streams[k] AND revision = p_expected[k] RETURNING revision INTO v_rev;
    END IF;
    IF v_rev IS NULL THEN
      SELECT count(*), max(e.revision), max(e.position) INTO v_found, v_rev, v_pos
        FROM {schema}.events e WHERE e.stream_id = p_streams[k] AND e.event_id = ANY (p_ids[v_from:v_to]);
      IF v_found = n THEN
        v_out[k] := 'idempotent'; v_next[k] := v_rev; v_last[k] := v_pos;
      ELSIF v_found > 0 THEN
        v_out[k] := 'partial_duplicate'; v_next[k] := v_found; v_last[k] := NULL;
      ELSE
        SELECT s.revision INTO v_rev FROM {schema}.streams s WHERE s.stream_id = p_streams[k];
        v_out[k] := 'wrong_expected_version'; v_next[k] := coalesce(v_rev, -1); v_last[k] := NULL;
      END IF;
    ELSE
      FOR i IN v_from .. v_to LOOP
        v_stream[i] := p_streams[k];
        v_revs[i] := v_rev - v_to + i;
      END LOOP;
      v_out[k] := 'ok'; v_next[k] := v_rev; v_last[k] := v_tx * 65536 + v_to - 1;
    END IF;
    v_from := v_to + 1;
  END LOOP;
  INSERT INTO {schema}.events (position, stream_id, revision, event_id, type, data, metadata)
    SELECT v_tx * 65536 + t.i - 1, v_stream[t.i], v_revs[t.i], t.id, t.type, t.data, t.meta
      FROM unnest(p_ids, p_types, p_data, p_meta) WITH ORDINALITY AS t(id, type, data, meta, i)
     WHERE v_revs[t.i] IS NOT NULL;
  RETURN QUERY SELECT * FROM unnest(v_out, v_next, v_last);
END
$$;
`,
  },
];

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`Invalid schema name "${name}": use lower-case letters, digits and "_"`);
  }
  return `"${name}"`;
}

/** Applies every pending migration; safe to call from several processes at once. */
export async function migrate(pool: SqlPool, schema: string): Promise<number[]> {
  const s = quoteIdent(schema);
  const applied: number[] = [];
  await pool.transaction(async (tx) => {
    // A fixed key shared by every process migrating this schema.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`eventstore-migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${s}.eventstore_migrations (
         version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await tx.query<{ version: number | string }>(
      `SELECT version FROM ${s}.eventstore_migrations`,
    );
    const have = new Set(done.rows.map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      await tx.query(m.sql.replaceAll('{schema}', s));
      await tx.query(`INSERT INTO ${s}.eventstore_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
  });
  return applied;
}
