-- Run once by the mariadb image on an empty data directory (mounted into
-- /docker-entrypoint-initdb.d by deploy/docker-compose.yml). The image creates
-- database `segmentd` and user `segmentd` from MARIADB_DATABASE/USER/PASSWORD;
-- the integration tests also create and drop databases named segmentd_test_*.
GRANT ALL PRIVILEGES ON `segmentd\_test\_%`.* TO 'segmentd'@'%';
FLUSH PRIVILEGES;
