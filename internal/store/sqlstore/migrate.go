package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/segmentd/segmentd/migrations"
)

// A migration is one file migrations/<dialect>/NNNN_name.sql. Its version is
// the number before the first '_'; files are applied in name order, each
// once, recorded in schema_migrations.
type migration struct {
	version int
	name    string
	stmts   []string
}

func loadMigrations(dialect string) ([]migration, error) {
	names, err := fs.Glob(migrations.FS, dialect+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var ms []migration
	seen := map[int]string{}
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s: name must be NNNN_name.sql", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("store: migrations %s and %s have the same version %d", other, name, v)
		}
		seen[v] = name
		b, err := migrations.FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		stmts := splitStatements(string(b))
		if len(stmts) == 0 {
			return nil, fmt.Errorf("store: migration %s has no statement", name)
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(base, ".sql"), stmts: stmts})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("store: no migrations for %s", dialect)
	}
	return ms, nil
}

// splitStatements splits SQL text on ';' outside quotes and comments, and
// drops comments and empty statements.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if st := strings.TrimSpace(cur.String()); st != "" {
			out = append(out, st)
		}
		cur.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			cur.WriteByte('\n')
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				i = len(src)
			} else {
				i += 2 + end + 1
			}
			cur.WriteByte(' ')
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(src) {
				if src[j] == '\\' && c != '`' {
					j += 2
					continue
				}
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(src) {
				j = len(src) - 1
			}
			cur.WriteString(src[i : j+1])
			i = j
		case c == ';':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       VARCHAR(255) NOT NULL,
    applied_at %s NOT NULL
)`

// migrate applies the pending migrations.
//
// SQLite: each migration in its own IMMEDIATE transaction (DDL is
// transactional), which also excludes other processes migrating the same
// file; the applied set is read again inside it.
//
// MySQL: DDL commits implicitly, so a migration cannot be atomic; every
// statement is written to be re-runnable (IF NOT EXISTS) and the version is
// recorded after its last statement. Two processes starting at once are
// serialised by a named lock (GET_LOCK) held on one connection for the
// whole run.
func (s *SQL) migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.d.name)
	if err != nil {
		return err
	}
	if s.d.name == "sqlite" {
		return s.migrateSQLite(ctx, ms)
	}
	return s.migrateMySQL(ctx, ms)
}

func (s *SQL) migrateSQLite(ctx context.Context, ms []migration) error {
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf(createSchemaMigrations, "TEXT")); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, m := range ms {
		err := s.write(ctx, func(tx *sqlx.Tx) error {
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for i, st := range m.stmts {
				if _, err := tx.ExecContext(ctx, st); err != nil {
					return fmt.Errorf("statement %d: %w", i+1, err)
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, s.timeArg(now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

func (s *SQL) migrateMySQL(ctx context.Context, ms []migration) (err error) {
	conn, err := s.w.Connx(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()

	var db string
	if err := conn.GetContext(ctx, &db, `SELECT DATABASE()`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	// Lock names are server-wide (and at most 64 characters): one per database.
	sum := sha256.Sum256([]byte(db))
	lock := "segmentd.migrate." + hex.EncodeToString(sum[:12])
	var got sql.NullInt64
	if err := conn.GetContext(ctx, &got, `SELECT GET_LOCK(?, 120)`, lock); err != nil {
		return fmt.Errorf("store: migrate: lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return errors.New("store: migrate: another process held the migration lock for 120s")
	}
	defer func() {
		// On a canceled ctx the lock is released when the connection closes.
		if _, e := conn.ExecContext(context.WithoutCancel(ctx), `SELECT RELEASE_LOCK(?)`, lock); e != nil && err == nil {
			err = fmt.Errorf("store: migrate: unlock: %w", e)
		}
	}()

	if _, err := conn.ExecContext(ctx, fmt.Sprintf(createSchemaMigrations, "DATETIME(6)")+` ENGINE=InnoDB`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	var applied []int
	if err := conn.SelectContext(ctx, &applied, `SELECT version FROM schema_migrations`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[v] = true
	}
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		for i, st := range m.stmts {
			if _, err := conn.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("store: migration %s: statement %d: %w", m.name, i+1, err)
			}
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, s.timeArg(now())); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}
