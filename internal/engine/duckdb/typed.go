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
// users. The map is replaced, never changed, so Tables can hand it out.
type typedColumns struct {
	mu   sync.Mutex
	cols map[string]string
}

func (t *typedColumns) get() map[string]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cols
}

func (t *typedColumns) set(cols map[string]string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cols = cols
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
	e.typed.set(cols)
	return nil
}

// TypeAttributes keeps the attribute keys typed that are not yet: each
// gets a column of users holding every user's value of the key as
// compile.TypedAttribute types it, filled in the same transaction and
// kept up on every later write of attributes, which queries then
// read instead of parsing the JSON (compile.Tables.Typed). It holds the
// write lock while it fills the columns: about 1.4 s for five keys of
// 1,000,000 users (docs/BENCHMARKS.md). Keys past MaxTypedAttributes are
// refused with ErrTooManyTyped, after those that fit were typed.
func (e *Engine) TypeAttributes(ctx context.Context, keys []string) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	cols := maps.Clone(e.typed.get())
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
	e.typed.set(cols)
	if err := e.prepareProfileWrites(ctx); err != nil {
		return err
	}
	return refused
}

// profileWrites are the statements of a profile write with the typed
// columns cols: swap sets a user's attributes ($1) if they still have
// the text read ($4), insert creates the user; both set the typed columns
// from the new attributes in the same statement, and return the user's
// row.
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

// prepareProfileWrites prepares the profile writes again for the keys
// typed now. The caller holds writeMu, as every profile write does.
func (e *Engine) prepareProfileWrites(ctx context.Context) error {
	swap, insert, err := profileWrites(e.typed.get())
	if err != nil {
		return err
	}
	for st, text := range map[**sql.Stmt]string{&e.stmts.swapUser: swap, &e.stmts.insertUser: insert} {
		next, err := e.db.PrepareContext(ctx, text)
		if err != nil {
			return fmt.Errorf("duckdb: preparing: %w", err)
		}
		(*st).Close()
		*st = next
	}
	return nil
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
	cols := e.typed.get()
	return retype(ctx, tx, slices.Sorted(maps.Keys(cols)), cols, where, args...)
}
