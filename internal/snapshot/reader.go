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
