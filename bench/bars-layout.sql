\timing on
DROP DATABASE IF EXISTS bars_layout;
CREATE DATABASE bars_layout;
\c bars_layout
-- A: heap + primary key btree
CREATE TABLE a (symbol text, timeframe text, ts timestamptz, open numeric, high numeric, low numeric, close numeric, volume float8, vwap numeric, trade_count bigint, PRIMARY KEY (symbol, timeframe, ts));
-- B: A + BRIN(ts)
CREATE TABLE b (LIKE a INCLUDING ALL);
CREATE INDEX b_brin ON b USING brin (ts);
-- C: monthly range partitions + PK
CREATE TABLE c (symbol text, timeframe text, ts timestamptz, open numeric, high numeric, low numeric, close numeric, volume float8, vwap numeric, trade_count bigint, PRIMARY KEY (symbol, timeframe, ts)) PARTITION BY RANGE (ts);
DO $$ DECLARE m date := '2024-01-01'; BEGIN WHILE m < '2024-08-01' LOOP EXECUTE format('CREATE TABLE c_%s PARTITION OF c FOR VALUES FROM (%L) TO (%L)', to_char(m, 'YYYYMM'), m, m + interval '1 month'); m := m + interval '1 month'; END LOOP; END $$;
-- 40 symbols x 250,000 minutes, symbol-major (as per-symbol CSV files load)
\echo load A
INSERT INTO a SELECT 'S' || s, '1Min', timestamptz '2024-01-01 00:00Z' + m * interval '1 minute', 100 + (m % 100) / 100.0, 101, 99, 100.5, 1000, 100.2, 10 FROM generate_series(1, 40) s, generate_series(0, 249999) m;
\echo load B
INSERT INTO b SELECT * FROM a ORDER BY symbol, ts;
\echo load C
INSERT INTO c SELECT * FROM a ORDER BY symbol, ts;
VACUUM ANALYZE a; VACUUM ANALYZE b; VACUUM ANALYZE c;
SELECT 'a' t, pg_size_pretty(pg_total_relation_size('a')) UNION ALL SELECT 'b', pg_size_pretty(pg_total_relation_size('b')) UNION ALL SELECT 'c', pg_size_pretty((SELECT sum(pg_total_relation_size(inhrelid))::bigint FROM pg_inherits WHERE inhparent = 'c'::regclass));
\echo one symbol one month
SELECT count(*) FROM a WHERE symbol = 'S17' AND timeframe = '1Min' AND ts >= '2024-03-01' AND ts < '2024-04-01';
SELECT count(*) FROM a WHERE symbol = 'S17' AND timeframe = '1Min' AND ts >= '2024-03-01' AND ts < '2024-04-01';
SELECT count(*) FROM b WHERE symbol = 'S17' AND timeframe = '1Min' AND ts >= '2024-03-01' AND ts < '2024-04-01';
SELECT count(*) FROM c WHERE symbol = 'S17' AND timeframe = '1Min' AND ts >= '2024-03-01' AND ts < '2024-04-01';
\echo one symbol whole range fetch all columns
SELECT sum(close) FROM a WHERE symbol = 'S17' AND timeframe = '1Min';
SELECT sum(close) FROM b WHERE symbol = 'S17' AND timeframe = '1Min';
SELECT sum(close) FROM c WHERE symbol = 'S17' AND timeframe = '1Min';
\echo all symbols one day (replay window)
SELECT sum(close) FROM a WHERE timeframe = '1Min' AND ts >= '2024-03-05' AND ts < '2024-03-06';
SELECT sum(close) FROM b WHERE timeframe = '1Min' AND ts >= '2024-03-05' AND ts < '2024-03-06';
SELECT sum(close) FROM c WHERE timeframe = '1Min' AND ts >= '2024-03-05' AND ts < '2024-03-06';
EXPLAIN (ANALYZE, BUFFERS) SELECT sum(close) FROM a WHERE timeframe = '1Min' AND ts >= '2024-03-05' AND ts < '2024-03-06';
EXPLAIN (ANALYZE, BUFFERS) SELECT sum(close) FROM b WHERE timeframe = '1Min' AND ts >= '2024-03-05' AND ts < '2024-03-06';
EXPLAIN (ANALYZE, BUFFERS) SELECT sum(close) FROM c WHERE timeframe = '1Min' AND ts >= '2024-03-05' AND ts < '2024-03-06';
\echo re-import one symbol (upsert 250k rows)
INSERT INTO a SELECT * FROM a WHERE symbol = 'S3' ON CONFLICT (symbol, timeframe, ts) DO UPDATE SET close = excluded.close;
INSERT INTO b SELECT * FROM a WHERE symbol = 'S3' ON CONFLICT (symbol, timeframe, ts) DO UPDATE SET close = excluded.close;
INSERT INTO c SELECT * FROM a WHERE symbol = 'S3' ON CONFLICT (symbol, timeframe, ts) DO UPDATE SET close = excluded.close;
\c postgres
DROP DATABASE bars_layout;
