// Package store keeps apps, their API keys and their segments (with every
// version) in SQL: SQLite in the embedded default, MySQL in production,
// both through jmoiron/sqlx with schemas in migrations/.
package store

import (
	"errors"
	"time"
)

// Errors a store returns, matched with errors.Is.
var (
	// ErrNotFound: no such app, key, segment or version in the app.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the app already exists, or the segment is referenced by
	// another segment's current version and cannot be deleted.
	ErrConflict = errors.New("conflict")
)

// App is a tenant.
type App struct {
	ID        string    `db:"app_id" json:"app_id"`
	TimeZone  string    `db:"time_zone" json:"time_zone"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Key is an API key of an app, as stored: its public ID and the SHA-256 of
// its secret. The secret itself is never stored.
type Key struct {
	ID         string    `db:"key_id"`
	AppID      string    `db:"app_id"`
	SecretHash []byte    `db:"secret_hash"`
	CreatedAt  time.Time `db:"created_at"`
}

// Segment is one version of a saved segment. Tree is the canonical text of
// the tree as saved (references unexpanded); Refs are the IDs of the
// segments it references directly.
type Segment struct {
	AppID       string    `db:"app_id"`
	ID          string    `db:"segment_id"`
	Version     int       `db:"version"`
	Name        string    `db:"name"`
	Description string    `db:"description"`
	Tree        string    `db:"tree"`
	Refs        []string  `db:"-"`
	CreatedAt   time.Time `db:"created_at"` // of the segment (version 1)
	UpdatedAt   time.Time `db:"updated_at"` // of this version
}
