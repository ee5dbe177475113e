// Package storetest gives integration tests a fresh MySQL database each:
//
//	deploy/local/mariadb.sh start
//	SEGMENTD_TEST_MYSQL_DSN="$(deploy/local/mariadb.sh dsn)" go test -tags integration ./...
package storetest

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

// MySQL connects to the server of SEGMENTD_TEST_MYSQL_DSN and returns a
// function that creates a fresh database segmentd_test_<run>_<n> for a test
// (dropped when it ends) and returns its DSN. A missing variable or an
// unreachable server fails the test: it never skips. The DSN's user needs
// CREATE and DROP on segmentd_test_%.
func MySQL(t *testing.T) func(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("SEGMENTD_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Fatal("SEGMENTD_TEST_MYSQL_DSN is not set: run deploy/local/mariadb.sh start and set it to the DSN it prints")
	}
	raw, ok := strings.CutPrefix(dsn, "mysql://")
	if !ok {
		t.Fatal("SEGMENTD_TEST_MYSQL_DSN: want mysql://user:pass@tcp(host:port)/db")
	}
	base, err := mysql.ParseDSN(raw)
	if err != nil {
		t.Fatalf("SEGMENTD_TEST_MYSQL_DSN: %v", err)
	}
	adminCfg := base.Clone()
	adminCfg.Timeout = 5 * time.Second
	conn, err := mysql.NewConnector(adminCfg)
	if err != nil {
		t.Fatal(err)
	}
	admin := sql.OpenDB(conn)
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var version string
	if err := admin.QueryRowContext(ctx, `SELECT VERSION()`).Scan(&version); err != nil {
		t.Fatalf("MySQL at %s is unreachable: %v (start it with deploy/local/mariadb.sh start)", base.Addr, err)
	}
	t.Logf("MySQL server %s at %s", version, base.Addr)

	var rnd [4]byte
	_, _ = rand.Read(rnd[:]) // crypto/rand.Read never fails
	run := fmt.Sprintf("segmentd_test_%d_%s", time.Now().Unix(), hex.EncodeToString(rnd[:]))
	var n atomic.Int64
	return func(t *testing.T) string {
		t.Helper()
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
	}
}
