package snapshot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
)

// Writer writes a snapshot from IDs in ascending order, one chunk at a
// time: its memory is one chunk whatever the snapshot's size. Nothing is
// visible to readers until Close has written the manifest. After an error
// it accepts nothing but Abort.
type Writer struct {
	store      cache.Store
	key        string
	ttl        time.Duration
	generation string
	chunkIDs   int
	started    time.Time

	raw     []byte // front-coded IDs of the chunk being filled
	packed  []byte // its compressed form, reused
	first   string // its first ID
	n       int    // its number of IDs
	prev    string // the last ID added
	count   int64
	chunks  []Chunk
	tried   int  // chunks whose Set was attempted: Abort deletes them
	touched bool // the manifest's Set was attempted
	closed  bool
	err     error
}

// NewWriter starts a snapshot under key on store, kept for ttl (0: until
// deleted) from now: the manifest's TTL is shortened by the time writing
// took, so that it never outlives the chunks it lists.
func NewWriter(store cache.Store, key string, ttl time.Duration) *Writer {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return &Writer{
		store:      store,
		key:        key,
		ttl:        ttl,
		generation: hex.EncodeToString(b[:]),
		chunkIDs:   chunkIDs,
		started:    time.Now(),
	}
}

// Add appends id, which must be non-empty and greater in byte order than
// the previous one: the engine's query sorts the IDs, and a reader's
// binary search and its cursors rely on it. ctx bounds the store write a
// full chunk makes.
func (w *Writer) Add(ctx context.Context, id string) error {
	switch {
	case w.err != nil:
		return w.err
	case w.closed:
		return w.fail(errors.New("Add after Close"))
	case id == "":
		return w.fail(errors.New("empty ID"))
	case w.count > 0 && id <= w.prev:
		return w.fail(fmt.Errorf("ID %q after %q: IDs must be strictly ascending", id, w.prev))
	}
	prev := w.prev
	if w.n == 0 { // a chunk starts afresh: it is decoded alone
		w.first, prev = id, ""
	}
	w.raw = appendID(w.raw, prev, id)
	w.prev = id
	w.n++
	w.count++
	if w.n == w.chunkIDs {
		return w.flush(ctx)
	}
	return nil
}

// flush stores the chunk being filled.
func (w *Writer) flush(ctx context.Context) error {
	w.packed = encoder.EncodeAll(w.raw, w.packed[:0])
	w.tried++
	if err := w.store.Set(ctx, chunkKey(w.key, w.generation, len(w.chunks)), w.packed, w.ttl); err != nil {
		return w.fail(err)
	}
	w.chunks = append(w.chunks, Chunk{First: w.first, Count: w.n})
	w.raw = w.raw[:0]
	w.n = 0
	return nil
}

func (w *Writer) fail(err error) error {
	w.err = fmt.Errorf("snapshot %s: %w", w.key, err)
	return w.err
}

// Close stores the last chunk, then the manifest with meta, which makes
// the snapshot visible, and returns the manifest.
func (w *Writer) Close(ctx context.Context, meta Meta) (Manifest, error) {
	if w.err != nil {
		return Manifest{}, w.err
	}
	if w.closed {
		return Manifest{}, w.fail(errors.New("Close after Close"))
	}
	if w.n > 0 {
		if err := w.flush(ctx); err != nil {
			return Manifest{}, err
		}
	}
	ttl := w.ttl
	if ttl > 0 {
		if ttl -= time.Since(w.started); ttl <= 0 {
			return Manifest{}, w.fail(fmt.Errorf("writing took longer than the TTL %v", w.ttl))
		}
	}
	m := Manifest{Format: Format, Generation: w.generation, Count: w.count, Chunks: w.chunks, Meta: meta}
	b, err := json.Marshal(m)
	if err != nil {
		return Manifest{}, w.fail(err)
	}
	w.touched = true
	if err := w.store.Set(ctx, w.key, b, ttl); err != nil {
		return Manifest{}, w.fail(err)
	}
	w.closed = true
	return m, nil
}

// Abort deletes what the writer stored, for a run that failed or was
// canceled. After a successful Close it does nothing, so that a deferred
// Abort is safe.
func (w *Writer) Abort(ctx context.Context) error {
	if w.closed {
		return nil
	}
	if w.err == nil {
		w.err = fmt.Errorf("snapshot %s: aborted", w.key)
	}
	var errs []error
	if w.touched {
		errs = append(errs, w.store.Delete(ctx, w.key))
	}
	for i := range w.tried {
		errs = append(errs, w.store.Delete(ctx, chunkKey(w.key, w.generation, i)))
	}
	w.touched, w.tried = false, 0
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("snapshot %s: abort: %w", w.key, err)
	}
	return nil
}
