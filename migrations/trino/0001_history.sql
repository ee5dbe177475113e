-- History on S3 through Trino's hive catalog: Parquet partitioned by app
-- and UTC day, written only by compaction. The table is external (its
-- location given), because a file metastore only keeps managed tables
-- under its own directory. {{catalog}}, {{schema}} and
-- {{location}} are replaced by the configured values.
CREATE SCHEMA IF NOT EXISTS {{catalog}}.{{schema}} WITH (location = '{{location}}');

CREATE TABLE IF NOT EXISTS {{catalog}}.{{schema}}.events_history (
    event_id   varchar,
    user_id    varchar,
    name       varchar,
    time       timestamp(3),
    properties varchar,
    app_id     varchar,
    day        date
) WITH (format = 'PARQUET', partitioned_by = ARRAY['app_id', 'day'],
        external_location = '{{location}}events_history');
