package sqlstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// TestSQLite runs the conformance suite on SQLite, a fresh file per test.
func TestSQLite(t *testing.T) {
	runSuite(t, func(t *testing.T) string {
		return "sqlite:" + filepath.Join(t.TempDir(), "segmentd.db")
	})
}

func TestSQLiteFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "segmentd.db")
	s := openDSN(t, "sqlite:"+path)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	var mode string
	if err := s.w.GetContext(ctx, &mode, `PRAGMA journal_mode`); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	var fk int
	if err := s.w.GetContext(ctx, &fk, `PRAGMA foreign_keys`); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v", fk, err)
	}
	var busy int
	if err := s.r.GetContext(ctx, &busy, `PRAGMA busy_timeout`); err != nil || busy < 1000 {
		t.Fatalf("busy_timeout = %d, %v", busy, err)
	}
	// Readers cannot write.
	if _, err := s.r.ExecContext(ctx, `INSERT INTO apps (app_id, time_zone, created_at) VALUES ('x', 'UTC', 'now')`); err == nil {
		t.Fatal("the read pool wrote")
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{
		"",
		"postgres://x",
		"sqlite:",
		"sqlite::memory:",
		"mysql://u:secret@tcp(127.0.0.1:1)/",
		"mysql://u:secret@nonsense(",
	} {
		s, err := Open(ctx, dsn)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q): error shows the password: %v", dsn, err)
		}
	}
}

func TestMySQLConfig(t *testing.T) {
	cfg, err := mysqlConfig("segmentd:pw@tcp(127.0.0.1:3307)/segmentd")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ParseTime || cfg.Loc.String() != "UTC" || cfg.Params["time_zone"] != "'+00:00'" || cfg.DBName != "segmentd" || cfg.MultiStatements {
		t.Fatalf("config %+v", cfg)
	}
	cfg, err = mysqlConfig("u:p@tcp(h:1)/d?time_zone=%27%2B00%3A00%27&parseTime=false")
	if err != nil || !cfg.ParseTime {
		t.Fatalf("parseTime not forced: %+v %v", cfg, err)
	}
}

func TestSplitStatements(t *testing.T) {
	src := `-- a comment; with a semicolon
CREATE TABLE a (x TEXT DEFAULT 'it''s; fine'); /* block ; */
CREATE TABLE b (y TEXT DEFAULT "q;q", z TEXT DEFAULT 'back\'slash;')
;
  -- trailing
;;`
	got := splitStatements(src)
	if len(got) != 2 || !strings.HasPrefix(got[0], "CREATE TABLE a") || !strings.Contains(got[0], "'it''s; fine'") ||
		!strings.HasPrefix(got[1], "CREATE TABLE b") || !strings.Contains(got[1], `'back\'slash;'`) {
		t.Fatalf("split: %q", got)
	}
}

func TestMigrationFiles(t *testing.T) {
	for _, d := range []string{"sqlite", "mysql"} {
		ms, err := loadMigrations(d)
		if err != nil {
			t.Fatal(err)
		}
		if ms[0].version != 1 {
			t.Errorf("%s: first migration %s", d, ms[0].name)
		}
		if !slices.IsSortedFunc(ms, func(a, b migration) int { return a.version - b.version }) {
			t.Errorf("%s: versions out of order", d)
		}
	}
	// The same tables on both.
	tables := func(d string) []string {
		ms, _ := loadMigrations(d)
		var out []string
		for _, m := range ms {
			for _, st := range m.stmts {
				if f := strings.Fields(st); len(f) > 5 && f[0] == "CREATE" && f[1] == "TABLE" {
					out = append(out, f[5])
				}
			}
		}
		slices.Sort(out)
		return out
	}
	if a, b := tables("sqlite"), tables("mysql"); !slices.Equal(a, b) || !slices.Contains(a, "webhook_deliveries") || len(a) < 9 {
		t.Fatalf("tables: sqlite %v, mysql %v", a, b)
	}
}

func TestErrorTypes(t *testing.T) {
	var err error = &store.MissingRefsError{AppID: "a", IDs: []string{"x"}}
	if !errors.Is(err, record.ErrNotFound) || err.Error() != `referenced segment "x" not found in app "a"` {
		t.Fatal(err)
	}
	err = &store.ReferencedError{AppID: "a", ID: "x", Referrers: []string{"p", "q"}}
	if !errors.Is(err, record.ErrConflict) || err.Error() != `segment "x" is referenced by segments "p", "q"` {
		t.Fatal(err)
	}
}
