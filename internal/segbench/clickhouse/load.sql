-- Loading a data set's Parquet files (segbench's users.parquet and
-- events.parquet) as an app's rows, then merging each table into one
-- sorted part, as a batch load that is done would; the load time
-- includes the merges.
INSERT INTO events
SELECT {app_id:String}, name, time, event_id, user_id, properties
FROM file({events:String}, Parquet);

INSERT INTO users
SELECT {app_id:String}, user_id, attributes, first_seen, last_seen
FROM file({users:String}, Parquet);

OPTIMIZE TABLE events FINAL;
OPTIMIZE TABLE users FINAL;
