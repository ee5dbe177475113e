package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/segmentd/segmentd/internal/cache"
)

// Reader reads a complete snapshot: IDs after a cursor, fetching and
// decoding one chunk at a time. It is cheap (the manifest only); open one
// per request.
type Reader struct {
	store cache.Store
	key   string
	m     Manifest
}

// Open reads the manifest of the snapshot under key; a snapshot that is
// missing, incomplete or expired is an error wrapping ErrNotFound.
func Open(ctx context.Context, store cache.Store, key string) (*Reader, error) {
	b, err := store.Get(ctx, key)
	if errors.Is(err, cache.ErrMiss) {
		return nil, fmt.Errorf("snapshot %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", key, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("snapshot %s: manifest: %w", key, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("snapshot %s: format %d, this build reads %d", key, m.Format, Format)
	}
	return &Reader{store: store, key: key, m: m}, nil
}

// Manifest returns the snapshot's manifest (a copy).
func (r *Reader) Manifest() Manifest {
	m := r.m
	m.Chunks = slices.Clone(m.Chunks)
	return m
}

// Scan calls fn with every ID greater than after ("": from the first), in
// ascending order, and stops at the first error fn returns, which it
// returns as is. Only the chunks from the one that may hold after on are
// fetched. A chunk that has expired or been evicted since Open is an error
// wrapping ErrNotFound.
func (r *Reader) Scan(ctx context.Context, after string, fn func(id string) error) error {
	chunks := r.m.Chunks
	// The last chunk whose first ID is at most after holds the first ID
	// greater than after, or ends before it.
	i := max(sort.Search(len(chunks), func(i int) bool { return chunks[i].First > after })-1, 0)
	var d chunkDecoder
	for ; i < len(chunks); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		ids, err := r.chunk(ctx, &d, i)
		if err != nil {
			return err
		}
		start := sort.Search(len(ids), func(j int) bool { return ids[j] > after })
		for _, id := range ids[start:] {
			if err := fn(id); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Reader) chunk(ctx context.Context, d *chunkDecoder, i int) ([]string, error) {
	b, err := r.store.Get(ctx, chunkKey(r.key, r.m.Generation, i))
	if errors.Is(err, cache.ErrMiss) {
		err = fmt.Errorf("%w (%w)", ErrNotFound, err)
	}
	var ids []string
	if err == nil {
		ids, err = d.decode(b, r.m.Chunks[i].Count)
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: chunk %d of %d: %w", r.key, i, len(r.m.Chunks), err)
	}
	return ids, nil
}

// errPageFull stops Page's Scan once the page has one ID too many.
var errPageFull = errors.New("page full")

// Page returns up to limit IDs greater than after, and whether more
// follow: the next page is after the last ID returned.
func (r *Reader) Page(ctx context.Context, after string, limit int) (ids []string, more bool, err error) {
	if limit <= 0 {
		return nil, false, fmt.Errorf("snapshot %s: page limit %d, want > 0", r.key, limit)
	}
	ids = make([]string, 0, min(int64(limit), r.m.Count))
	err = r.Scan(ctx, after, func(id string) error {
		if len(ids) == limit {
			more = true
			return errPageFull
		}
		ids = append(ids, id)
		return nil
	})
	if errors.Is(err, errPageFull) {
		err = nil
	}
	if err != nil {
		return nil, false, err
	}
	return ids, more, nil
}

// Delete removes the snapshot under key: its manifest first, so that it
// stops being visible at once, then its chunks. Readers that opened it
// before get ErrNotFound for the chunks they had not fetched.
func Delete(ctx context.Context, store cache.Store, key string) error {
	r, err := Open(ctx, store, key)
	if err != nil {
		return err
	}
	errs := []error{store.Delete(ctx, key)}
	for i := range r.m.Chunks {
		errs = append(errs, store.Delete(ctx, chunkKey(key, r.m.Generation, i)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("snapshot %s: delete: %w", key, err)
	}
	return nil
}

// Iter returns an iterator over the IDs greater than after ("": from the
// first), in ascending order: Scan turned inside out, so that two
// snapshots can be walked side by side (Diff). It holds one decoded chunk
// at a time.
func (r *Reader) Iter(after string) *Iter {
	i := max(sort.Search(len(r.m.Chunks), func(i int) bool { return r.m.Chunks[i].First > after })-1, 0)
	return &Iter{r: r, after: after, next: i}
}

// Iter walks a snapshot's IDs (Reader.Iter). It is not safe for concurrent
// use.
type Iter struct {
	r     *Reader
	after string
	next  int      // the next chunk to fetch
	ids   []string // what is left of the current chunk
	d     chunkDecoder
	id    string
	err   error
}

// Next moves to the next ID and reports whether there is one: false at the
// end, and after an error (Err). ctx bounds the chunk it may fetch.
func (it *Iter) Next(ctx context.Context) bool {
	for len(it.ids) == 0 {
		if it.err != nil || it.next >= len(it.r.m.Chunks) {
			return false
		}
		if it.err = ctx.Err(); it.err != nil {
			return false
		}
		ids, err := it.r.chunk(ctx, &it.d, it.next)
		if err != nil {
			it.err = err
			return false
		}
		it.next++
		if it.after != "" {
			ids = ids[sort.Search(len(ids), func(j int) bool { return ids[j] > it.after }):]
			if len(ids) > 0 {
				it.after = "" // every later ID is greater
			}
		}
		it.ids = ids
	}
	it.id, it.ids = it.ids[0], it.ids[1:]
	return true
}

// ID is the current ID, after Next returned true.
func (it *Iter) ID() string { return it.id }

// Err is the error that ended the iteration, nil at the end of the IDs.
// A chunk that has expired or been evicted since Open wraps ErrNotFound.
func (it *Iter) Err() error { return it.err }
