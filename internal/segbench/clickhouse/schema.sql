-- The tables an analyst on ClickHouse keeps the segbench data in, as
-- PostHog keeps its events: one MergeTree table of events ordered by
-- (app_id, name, time), so that a query reads only the granules of the
-- names and the time range it asks for, with the properties as JSON text
-- (ZSTD-compressed: JSON is most of the bytes), and the profiles ordered
-- by (app_id, user_id). Plain MergeTree: the data is loaded once, so no
-- row needs replacing (PostHog's persons are a ReplacingMergeTree, read
-- with FINAL, because profiles change).
CREATE TABLE IF NOT EXISTS events (
  app_id LowCardinality(String),
  name LowCardinality(String),
  time DateTime64(6, 'UTC'),
  event_id String,
  user_id String,
  properties String CODEC(ZSTD(3))
) ENGINE = MergeTree ORDER BY (app_id, name, time);

CREATE TABLE IF NOT EXISTS users (
  app_id LowCardinality(String),
  user_id String,
  attributes String CODEC(ZSTD(3)),
  first_seen DateTime64(6, 'UTC'),
  last_seen DateTime64(6, 'UTC')
) ENGINE = MergeTree ORDER BY (app_id, user_id);

-- The values of a path, as raw JSON texts, as the language reads a path
-- (docs/segment-language.md): each key is taken from every object reached
-- so far, an array met as a key's value stands for its elements (one
-- level), and null is no value. seg_step reads the raw text of a key's
-- value (JSONExtractRaw: '' when the key is missing or the text is not an
-- object); seg_path1 is the values of a key, seg_path2 those of a.b. Each
-- JSON text is parsed once a key (the whole properties once, then only
-- the small texts of their elements).
CREATE OR REPLACE FUNCTION seg_step AS (raw) -> multiIf(
  startsWith(raw, '['), arrayFilter(x -> x != 'null', JSONExtractArrayRaw(raw)),
  raw IN ('', 'null'), [],
  [raw]);
CREATE OR REPLACE FUNCTION seg_path1 AS (j, a) -> seg_step(JSONExtractRaw(j, a));
CREATE OR REPLACE FUNCTION seg_path2 AS (j, a, b) ->
  arrayFlatten(arrayMap(x -> seg_step(JSONExtractRaw(x, b)), seg_path1(j, a)));

-- The numbers among values (types never convert: "1000" is a string, true
-- a boolean), read by JSON's own number parser.
CREATE OR REPLACE FUNCTION seg_numbers AS (vals) ->
  arrayMap(x -> JSONExtractFloat(x), arrayFilter(x -> match(x, '^-?[0-9]'), vals));

-- The strings among values.
CREATE OR REPLACE FUNCTION seg_strings AS (vals) ->
  arrayMap(x -> JSONExtractString(x), arrayFilter(x -> startsWith(x, '"'), vals));

-- A sum as the language defines it: from the least value to the greatest,
-- in doubles (0 for none). arraySum adds an array's elements in their
-- order, one after the other (ClickHouse's sum aggregate adds rows in
-- whatever order they come); TestClickHouseHandSQL holds it to an explicit
-- left fold (arrayFold, many times slower) on random arrays, in case a
-- version of ClickHouse vectorizes it.
CREATE OR REPLACE FUNCTION seg_sum AS (nums) -> arraySum(arraySort(nums));
