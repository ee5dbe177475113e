package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/segment"
)

// MaxTypedAttributes bounds the attribute keys kept typed: each costs
// every write of a profile the update of its column, and the users table
// its bytes.
const MaxTypedAttributes = 64

// ErrTooManyTyped is TypeAttributes refusing keys past MaxTypedAttributes.
var ErrTooManyTyped = errors.New("duckdb: too many typed attribute keys")

// typedColumns is the attribute keys kept typed, each with its column of
// users, and the profile writes that keep those columns (profileWrites).
// A state is replaced whole, never changed, so Tables can hand out its
// map; it is replaced only under writeMu, after the columns exist, so a
// profile write (which holds writeMu) always sets every typed column.
type typedColumns struct {
	mu sync.Mutex
	st typedState
}

type typedState struct {
	cols         map[string]string
	swap, insert string
	// The two prepared, when preparing succeeded (nil: run the text).
	swapStmt, insertStmt *sql.Stmt
}

func (t *typedColumns) get() typedState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st
}

// set makes cols the typed columns, with their profile writes, prepared
// on db when it can be (a failure to prepare leaves them to run as text).
// It closes the statements it replaces: the caller holds writeMu, so no
// profile write uses them.
func (t *typedColumns) set(ctx context.Context, db *sql.DB, cols map[string]string) error {
	swap, insert, err := profileWrites(cols)
	if err != nil {
		return err
	}
	st := typedState{cols: cols, swap: swap, insert: insert}
	ctx = context.WithoutCancel(ctx)
	if st.swapStmt, err = db.PrepareContext(ctx, swap); err == nil {
		if st.insertStmt, err = db.PrepareContext(ctx, insert); err != nil {
			st.swapStmt.Close()
			st.swapStmt = nil
		}
	}
	t.mu.Lock()
	old := t.st
	t.st = st
	t.mu.Unlock()
	old.close()
	return nil
}

func (st typedState) close() {
	for _, s := range []*sql.Stmt{st.swapStmt, st.insertStmt} {
		if s != nil {
			s.Close()
		}
	}
}

// row runs a profile write: the prepared statement if there is one, else
// the text.
func (st typedState) row(ctx context.Context, tx *sql.Tx, stmt *sql.Stmt, text string, args ...any) *sql.Row {
	if stmt != nil {
		return tx.StmtContext(ctx, stmt).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, text, args...)
}

// loadTyped reads the keys typed before.
func (e *Engine) loadTyped(ctx context.Context) error {
	rows, err := e.db.QueryContext(ctx, `SELECT key, col FROM typed_attributes`)
	if err != nil {
		return fmt.Errorf("duckdb: typed attributes: %w", err)
	}
	defer rows.Close()
	cols := map[string]string{}
	for rows.Next() {
		var key, col string
		if err := rows.Scan(&key, &col); err != nil {
			return fmt.Errorf("duckdb: typed attributes: %w", err)
		}
		cols[key] = col
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("duckdb: typed attributes: %w", err)
	}
	return e.typed.set(ctx, e.db, cols)
}

// TypeAttributes keeps the attribute keys typed that are not yet: each
// gets a column of users holding every user's value of the key as
// compile.TypedAttribute types it, filled in the same transaction and
// kept up on every later write of attributes, which queries then
// read instead of parsing the JSON (compile.Tables.Typed). It holds the
// write lock while it fills the columns: 3.0 s for six keys of
// 1,000,000 users (docs/BENCHMARKS.md). Keys past MaxTypedAttributes are
// refused with ErrTooManyTyped, after those that fit were typed.
func (e *Engine) TypeAttributes(ctx context.Context, keys []string) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	cols := maps.Clone(e.typed.get().cols)
	var added []string
	var refused error
	for _, k := range keys {
		if _, ok := cols[k]; ok || slices.Contains(added, k) {
			continue
		}
		if !segment.ValidPathKey(k) {
			return fmt.Errorf("%w: attribute key %q", ErrInvalid, k)
		}
		if len(cols) == MaxTypedAttributes {
			refused = fmt.Errorf("%w: %q and the keys after it (at most %d)", ErrTooManyTyped, k, MaxTypedAttributes)
			break
		}
		cols[k] = fmt.Sprintf("typed_%d", len(cols)+1)
		added = append(added, k)
	}
	if len(added) == 0 {
		return refused
	}
	err := e.writeOnce(ctx, func(tx *sql.Tx) error {
		for _, k := range added {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE users ADD COLUMN `+cols[k]+` `+compile.TypedAttributeType); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO typed_attributes VALUES (?, ?, now())`, k, cols[k]); err != nil {
				return err
			}
		}
		return retype(ctx, tx, added, cols, "TRUE")
	})
	if err != nil {
		return fmt.Errorf("duckdb: typing attributes: %w", err)
	}
	// The keys were checked above, so this cannot fail: profile writes
	// use the new statements from here on, prepared or as text.
	if err := e.typed.set(ctx, e.db, cols); err != nil {
		return err
	}
	return refused
}

// profileWrites are the statements of a profile write with the typed
// columns cols: swap sets a user's attributes ($1) if they still have
// the text read ($4), insert creates the user; both set the typed columns
// from the new attributes in the same statement, and return the user's
// row. They change with the keys typed (typedColumns.set), which a
// statement prepared before would leave behind.
func profileWrites(cols map[string]string) (swap, insert string, err error) {
	var set, names, values strings.Builder
	for _, k := range slices.Sorted(maps.Keys(cols)) {
		swapExpr, err := compile.TypedAttribute(k, "$1::JSON")
		if err != nil {
			return "", "", err
		}
		insertExpr, err := compile.TypedAttribute(k, "$3::JSON")
		if err != nil {
			return "", "", err
		}
		fmt.Fprintf(&set, ", %s = %s", cols[k], swapExpr)
		fmt.Fprintf(&names, ", %s", cols[k])
		fmt.Fprintf(&values, ", %s", insertExpr)
	}
	const returning = `
		RETURNING attributes::VARCHAR, first_seen, last_seen`
	swap = `UPDATE users SET attributes = $1::JSON` + set.String() + ` WHERE app_id = $2 AND user_id = $3 AND attributes::VARCHAR = $4` + returning
	insert = `INSERT INTO users (app_id, user_id, attributes` + names.String() + `) VALUES ($1, $2, $3::JSON` + values.String() + `)` + returning
	return swap, insert, nil
}

// retype sets, in tx, the typed columns of keys (their columns in cols)
// of the users rows that where (SQL over users, args its parameters)
// selects, from their attributes. Loads call it with the keys typed, and
// profile writes set them in their own statement (profileWrites), so a
// typed column never differs from its JSON.
func retype(ctx context.Context, tx *sql.Tx, keys []string, cols map[string]string, where string, args ...any) error {
	if len(keys) == 0 {
		return nil
	}
	set := make([]string, 0, len(keys))
	for _, k := range keys {
		expr, err := compile.TypedAttribute(k, "attributes")
		if err != nil {
			return err
		}
		set = append(set, cols[k]+" = "+expr)
	}
	_, err := tx.ExecContext(ctx, `UPDATE users SET `+strings.Join(set, ", ")+` WHERE `+where, args...)
	return err
}

// retypeAll is retype of every typed key; the caller holds writeMu, which
// TypeAttributes takes too, so the keys cannot change meanwhile.
func (e *Engine) retypeAll(ctx context.Context, tx *sql.Tx, where string, args ...any) error {
	cols := e.typed.get().cols
	return retype(ctx, tx, slices.Sorted(maps.Keys(cols)), cols, where, args...)
}
