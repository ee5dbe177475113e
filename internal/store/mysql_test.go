//go:build integration

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TestMySQL runs the conformance suite on MySQL/MariaDB:
//
//	deploy/local/mariadb.sh start
//	SEGMENTD_TEST_MYSQL_DSN="$(deploy/local/mariadb.sh dsn)" go test -tags integration ./internal/store/
//
// Every test gets a fresh database segmentd_test_<run>_<n> (the DSN's user
// needs CREATE and DROP on segmentd_test_%), dropped when it ends. A missing
// variable or an unreachable server fails the test: it never skips.
func TestMySQL(t *testing.T) {
	dsn := os.Getenv("SEGMENTD_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Fatal("SEGMENTD_TEST_MYSQL_DSN is not set: run deploy/local/mariadb.sh start and set it to the DSN it prints")
	}
	if !strings.HasPrefix(dsn, "mysql://") {
		t.Fatalf("SEGMENTD_TEST_MYSQL_DSN = %q: want mysql://user:pass@tcp(host:port)/db", redact(dsn))
	}
	base, err := mysql.ParseDSN(strings.TrimPrefix(dsn, "mysql://"))
	if err != nil {
		t.Fatalf("SEGMENTD_TEST_MYSQL_DSN: %v", err)
	}
	adminCfg, err := mysqlConfig(strings.TrimPrefix(dsn, "mysql://"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := mysql.NewConnector(adminCfg)
	if err != nil {
		t.Fatal(err)
	}
	admin := sql.OpenDB(conn)
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("MySQL at %s is unreachable: %v (start it with deploy/local/mariadb.sh start)", base.Addr, err)
	}
	var version string
	if err := admin.QueryRowContext(ctx, `SELECT VERSION()`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	t.Logf("server %s at %s", version, base.Addr)

	var rnd [4]byte
	rand.Read(rnd[:])
	run := fmt.Sprintf("segmentd_test_%d_%s", time.Now().Unix(), hex.EncodeToString(rnd[:]))
	var n atomic.Int64
	runSuite(t, func(t *testing.T) string {
		name := fmt.Sprintf("%s_%02d", run, n.Add(1))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
			t.Fatalf("create database %s: %v", name, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
				t.Errorf("drop database %s: %v", name, err)
			}
		})
		cfg := base.Clone()
		cfg.DBName = name
		return "mysql://" + cfg.FormatDSN()
	})
}
