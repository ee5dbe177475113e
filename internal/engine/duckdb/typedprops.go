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

// MaxTypedProperties bounds the property paths kept typed: each is a
// column of events, and its bytes.
const MaxTypedProperties = 64

// ErrTooManyTypedProperties is TypeProperties refusing paths past
// MaxTypedProperties.
var ErrTooManyTypedProperties = errors.New("duckdb: too many typed property paths")

// typedProps is the property paths kept typed, each for the events of one
// name, with the column of events that keeps the path's numbers
// (compile.PropertyNumbers). Unlike an attribute's, the column is not
// kept up by every write: ingestion stores events as fast without it,
// their column is NULL, which the queries read as "from the JSON"
// (compile.Tables.Numbers), and reclustering fills it (recluster.go).
// Loads fill it for the events they write. A map is replaced whole, under
// writeMu, after its columns exist.
type typedProps struct {
	mu   sync.Mutex
	cols map[compile.TypedProperty]string
}

func (t *typedProps) get() map[compile.TypedProperty]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cols
}

func (t *typedProps) set(cols map[compile.TypedProperty]string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cols = cols
}

// loadTypedProps reads the paths typed before.
func (e *Engine) loadTypedProps(ctx context.Context) error {
	rows, err := e.db.QueryContext(ctx, `SELECT name, path, col FROM typed_properties`)
	if err != nil {
		return fmt.Errorf("duckdb: typed properties: %w", err)
	}
	defer rows.Close()
	cols := map[compile.TypedProperty]string{}
	for rows.Next() {
		var p compile.TypedProperty
		var col string
		if err := rows.Scan(&p.Event, &p.Path, &col); err != nil {
			return fmt.Errorf("duckdb: typed properties: %w", err)
		}
		cols[p] = col
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("duckdb: typed properties: %w", err)
	}
	e.props.set(cols)
	return nil
}

// TypeProperties keeps the property paths typed that are not yet, each
// for the events of its name: a column of events holding each event's
// numbers at the path, filled in one transaction for the events stored,
// which numeric conditions then read instead of parsing the JSON. DuckDB
// rewrites the rows of a list column it updates, so the name's events
// move to the end of the table, in the order they had (by user within
// the name). Paths past MaxTypedProperties are refused with
// ErrTooManyTypedProperties, after those that fit were typed.
func (e *Engine) TypeProperties(ctx context.Context, props []compile.TypedProperty) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	cols := maps.Clone(e.props.get())
	if cols == nil {
		cols = map[compile.TypedProperty]string{}
	}
	var added []compile.TypedProperty
	var refused error
	for _, p := range props {
		if _, ok := cols[p]; ok {
			continue
		}
		if !segment.ValidPath(p.Path) || p.Event == "" {
			return fmt.Errorf("%w: event %q property %q", ErrInvalid, p.Event, p.Path)
		}
		if len(cols) == MaxTypedProperties {
			refused = fmt.Errorf("%w: %q of %q and the paths after it (at most %d)", ErrTooManyTypedProperties, p.Path, p.Event, MaxTypedProperties)
			break
		}
		cols[p] = fmt.Sprintf("numbers_%d", len(cols)+1)
		added = append(added, p)
	}
	if len(added) == 0 {
		return refused
	}
	err := e.writeOnce(ctx, func(tx *sql.Tx) error {
		// Every column first: DuckDB refuses to commit a transaction
		// that alters a table after updating it.
		type step struct {
			query string
			args  []any
		}
		var alters, fills []step
		for _, p := range added {
			expr, err := compile.PropertyNumbers(p.Path)
			if err != nil {
				return err
			}
			alters = append(alters, step{`ALTER TABLE events ADD COLUMN ` + cols[p] + ` DOUBLE[]`, nil})
			fills = append(fills, step{`UPDATE events AS e SET ` + cols[p] + ` = ` + expr + ` WHERE e.name = ?`, []any{p.Event}},
				step{`INSERT INTO typed_properties VALUES (?, ?, ?, now())`, []any{p.Event, p.Path, cols[p]}})
		}
		for _, s := range append(alters, fills...) {
			if _, err := tx.ExecContext(ctx, s.query, s.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("duckdb: typing properties: %w", err)
	}
	e.props.set(cols)
	return refused
}

// propColumns is, for a statement that inserts into events from rows e
// (their properties JSON), the typed property columns (", numbers_1, …")
// and their values (", CASE WHEN e.name = '…' THEN … END, …"); with keep,
// a value the row has is kept (a copy of rows of the events table). The
// caller holds writeMu, so the columns cannot change meanwhile.
func (e *Engine) propColumns(keep bool) (cols, values string, err error) {
	props := e.props.get()
	var c, v strings.Builder
	for _, p := range slices.SortedFunc(maps.Keys(props), func(a, b compile.TypedProperty) int {
		return strings.Compare(props[a], props[b])
	}) {
		expr, err := compile.PropertyNumbers(p.Path)
		if err != nil {
			return "", "", err
		}
		value := "CASE WHEN e.name = " + compile.Literal(p.Event) + " THEN " + expr + " END"
		if keep {
			value = "coalesce(e." + props[p] + ", " + value + ")"
		}
		fmt.Fprintf(&c, ", %s", props[p])
		fmt.Fprintf(&v, ", %s", value)
	}
	return c.String(), v.String(), nil
}
