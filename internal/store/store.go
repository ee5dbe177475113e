// Package store is what the segment store keeps: apps, their API keys,
// their segments (with every version), runs and compaction state, and the
// errors of keeping them. It has no driver: the SQL implementation is
// store/sqlstore, and the layers that only pass these records around do
// not carry SQLite or MySQL.
package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/record"
)

// Errors a store returns, matched with errors.Is.
var (
	// ErrInvalid: an argument the store cannot keep: an empty ID, or an ID
	// longer than MaxAppIDLen, MaxSegmentIDLen or MaxKeyIDLen bytes.
	ErrInvalid = errors.New("invalid argument")
)

// Longest IDs, in bytes, that every backend keeps (MySQL columns are
// VARBINARY of these sizes; SQLite is held to the same limits).
const (
	MaxAppIDLen     = 64
	MaxSegmentIDLen = 128
	MaxKeyIDLen     = 128
	// MaxKeyNameLen bounds a key's name, and its scopes joined by spaces.
	MaxKeyNameLen = 255
)

// MissingRefsError is returned by CreateSegment and UpdateSegment when the
// segment references segments that do not exist in its app (or were deleted
// concurrently). It matches record.ErrNotFound with errors.Is; errors.As gives the
// missing IDs, so a caller can tell it from a missing app or segment.
type MissingRefsError struct {
	AppID string
	IDs   []string // ascending
}

func (e *MissingRefsError) Error() string {
	return fmt.Sprintf("referenced segment%s %s not found in app %q", plural(len(e.IDs)), quoteList(e.IDs), e.AppID)
}

// Unwrap makes errors.Is(err, record.ErrNotFound) true.
func (e *MissingRefsError) Unwrap() error { return record.ErrNotFound }

// ReferencedError is returned by DeleteSegment while the current version of
// another segment references the segment. It matches record.ErrConflict with
// errors.Is; errors.As gives the referrers.
type ReferencedError struct {
	AppID     string
	ID        string
	Referrers []string // ascending
}

func (e *ReferencedError) Error() string {
	return fmt.Sprintf("segment %q is referenced by segment%s %s", e.ID, plural(len(e.Referrers)), quoteList(e.Referrers))
}

// Unwrap makes errors.Is(err, record.ErrConflict) true.
func (e *ReferencedError) Unwrap() error { return record.ErrConflict }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func quoteList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = fmt.Sprintf("%q", id)
	}
	return strings.Join(q, ", ")
}

// App is a tenant.
type App struct {
	ID        string    `db:"app_id" json:"app_id"`
	TimeZone  string    `db:"time_zone" json:"time_zone"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Key is an API key of an app, as stored: its public ID and the SHA-256 of
// its secret. The secret itself is never stored.
type Key struct {
	ID         string
	AppID      string
	Name       string
	Scopes     []string // what the key may do (the API names them); none is nothing
	SecretHash []byte
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until first used (TouchKey)
}

// Segment is one version of a saved segment. Tree is the canonical text of
// the tree as saved (references unexpanded); Refs are the IDs of the
// segments it references directly, ascending and without duplicates as
// returned by the store (never nil).
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
	// Schedule is the version's schedule as canonical JSON
	// ({"every":"1h"} or {"cron":"0 6 * * *"}, internal/schedule); empty
	// for none.
	Schedule string `db:"schedule"`
}

// Compaction is an app's compaction state on the distributed path. History
// holds every event of the days before Boundary; the fresh store's
// partitions of the days before Cleaned have been deleted. Both are UTC
// midnights; Cleaned <= Boundary.
type Compaction struct {
	AppID    string
	Boundary time.Time
	Cleaned  time.Time
}
