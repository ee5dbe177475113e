package engine

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
)

// SchemaLimits bound what the data dictionary of an app reads
// (Engine.SchemaSample).
type SchemaLimits struct {
	// Names is how many event names are read, the most frequent first.
	Names int
	// EventsPerName is how many events of each of those names are
	// sampled: the most recent (by time, then event_id, both descending).
	EventsPerName int
	// Users is how many users are sampled: the most recently seen (by
	// last_seen descending, never seen last, then user_id).
	Users int
	// Bytes bounds the JSON text of the sampled documents, in all: past
	// it, no more documents are read.
	Bytes int
}

// EventName is an event name of an app, counted over all its events.
type EventName struct {
	Name     string
	Count    int64
	LastSeen time.Time
}

// Sampled is a sampled document: an event's properties (with its name)
// or a user's attributes, as JSON text.
type Sampled struct {
	Name string // the event's; "" for a user
	JSON string
}

// SchemaSample is what the data dictionary is made from.
type SchemaSample struct {
	// Names are the app's event names, the most frequent first (then by
	// name), at most Limits.Names; MoreNames says there are others.
	Names     []EventName
	MoreNames bool
	// Events are the sampled events' properties: the most recent event
	// of every name (names in byte order), then the second most recent of
	// every name, and so on, so that Limits.Bytes cuts every name's sample
	// alike.
	Events []Sampled
	// Users is how many users the app has; Attributes the sampled users'
	// attributes, the most recently seen first.
	Users      int64
	Attributes []Sampled
	// Truncated says Limits.Bytes stopped the sample.
	Truncated bool
}

// schemaData is what the schema statements read.
type schemaData struct {
	App           string
	Events, Users *compile.SQL
	Names         []string
	Limit         int64
}

// ReadSchema runs the data dictionary's statements (stmts: schema_names,
// schema_events, schema_users) of an app on db, reading the app's events
// and users as a segment query of dialect d with split over tables does.
// args converts a statement's parameters for the driver.
func ReadSchema(ctx context.Context, db *sql.DB, stmts *compile.Statements, d *compile.Dialect, tables compile.Tables,
	split *compile.Split, appID string, lim SchemaLimits, args func(*compile.SQL) []any) (*SchemaSample, error) {
	events, users, err := compile.Sources(d, compile.Options{AppID: appID, Split: split}, tables)
	if err != nil {
		return nil, err
	}
	data := schemaData{App: appID, Events: events, Users: users}
	query := func(name string, data schemaData, row func(*sql.Rows) (bool, error)) error {
		q, err := stmts.Render(name, data)
		if err != nil {
			return err
		}
		rows, err := db.QueryContext(ctx, q.Text, args(q)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			more, err := row(rows)
			if err != nil || !more {
				return err
			}
		}
		return rows.Err()
	}
	out := &SchemaSample{}
	budget := lim.Bytes
	take := func(name, doc string) bool {
		if budget -= len(doc); budget < 0 {
			out.Truncated = true
			return false
		}
		return true
	}
	data.Limit = int64(lim.Names) + 1
	err = query("schema_names", data, func(rows *sql.Rows) (bool, error) {
		var n EventName
		if err := rows.Scan(&n.Name, &n.Count, &n.LastSeen); err != nil {
			return false, err
		}
		if len(out.Names) == lim.Names {
			out.MoreNames = true
			return false, nil
		}
		n.LastSeen = n.LastSeen.UTC()
		out.Names = append(out.Names, n)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("event names: %w", err)
	}
	if len(out.Names) > 0 && lim.EventsPerName > 0 {
		data.Limit = int64(lim.EventsPerName)
		for _, n := range out.Names {
			data.Names = append(data.Names, n.Name)
		}
		err = query("schema_events", data, func(rows *sql.Rows) (bool, error) {
			var s Sampled
			if err := rows.Scan(&s.Name, &s.JSON); err != nil {
				return false, err
			}
			if !take(s.Name, s.JSON) {
				return false, nil
			}
			out.Events = append(out.Events, s)
			return true, nil
		})
		if err != nil {
			return nil, fmt.Errorf("sampling events: %w", err)
		}
	}
	data.Limit = int64(max(lim.Users, 1))
	err = query("schema_users", data, func(rows *sql.Rows) (bool, error) {
		var s Sampled
		var attrs sql.NullString
		if err := rows.Scan(&out.Users, &attrs); err != nil {
			return false, err
		}
		s.JSON = attrs.String
		if lim.Users == 0 || !take("", s.JSON) {
			return false, nil
		}
		out.Attributes = append(out.Attributes, s)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("sampling users: %w", err)
	}
	return out, nil
}
