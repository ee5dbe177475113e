// Package query is the application layer between the API and the
// engines: what a count or a run is, whatever asks for it. It owns the
// keys its answers are cached and shared under, the sharing of queries
// in flight and their admission to the engine.
package query

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentd/segmentd/segment"
)

// Answer names one answer of one app: the app's users that satisfy tree
// (expanded) at asOf, as the engine of dialect sees the app's data up to
// watermark. Every key of a cached or shared answer is built from an
// Answer, and an Answer cannot be made without its app: two apps with the
// same tree, as_of and watermark never share a key.
type Answer struct {
	app       string
	dialect   string
	tree      string // canonical
	asOf      time.Time
	watermark time.Time
}

// NewAnswer makes an Answer. It panics without an app: a key without one
// would be shared across tenants, which no caller may ever build.
func NewAnswer(appID, dialect string, tree segment.Node, asOf, watermark time.Time) Answer {
	if appID == "" {
		panic("query: an answer needs its app")
	}
	return Answer{app: appID, dialect: dialect, tree: tree.String(), asOf: asOf.UTC(), watermark: watermark.UTC()}
}

// App is the app the answer belongs to.
func (a Answer) App() string { return a.app }

// digest identifies the answer within its app.
func (a Answer) digest(extra ...string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s", a.app, a.dialect, a.tree,
		a.asOf.Format(time.RFC3339Nano), a.watermark.Format(time.RFC3339Nano))
	for _, s := range extra {
		fmt.Fprintf(h, "\x00%s", s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// CountKey is the key of the answer's count, in the count cache and
// among the counts in flight. The app is in the key's text as well as in
// its hash, so that a cache's keys can be told apart by app.
func (a Answer) CountKey() string { return "counts/" + a.app + "/" + a.digest() }

// RunKey is the key that runs of one segment version share: another
// segment with the same tree would give the same members, but a reply
// naming it would puzzle the client. The store keeps it beside the run's
// app (and the app is in the hash).
func (a Answer) RunKey(segmentID string, version int) string {
	return a.digest(segmentID, strconv.Itoa(version))
}

// SnapshotKey is where a run's members are kept.
func SnapshotKey(appID, runID string) string {
	if appID == "" {
		panic("query: a snapshot needs its app")
	}
	return "runs/" + appID + "/" + runID
}
