// Package snapshot keeps the result of a run, millions of user IDs, as an
// immutable sorted list on a cache.Store, so that push delivery can page or
// stream it consistently while the segment changes, and resume after any ID.
//
// A snapshot is chunks of up to 65,536 IDs, each front-coded (the length of
// the prefix shared with the previous ID, then the rest: sorted IDs share
// long prefixes) and compressed with zstd, under keys derived from the
// snapshot's key, and a JSON manifest under the key itself, written last:
// a snapshot is visible whole or not at all. The manifest lists each chunk's
// first ID, so a reader fetches only the chunks after a cursor, one at a
// time.
package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Format is the manifest and chunk encoding this package writes and reads;
// a reader refuses another rather than misread it.
const Format = 1

// chunkIDs is how many IDs a chunk holds: about 1 MB decoded for 16-byte
// IDs, the memory a Writer or a Reader needs whatever the snapshot's size.
const chunkIDs = 1 << 16

// ErrNotFound is returned (wrapped) when a snapshot or one of its chunks is
// missing: never written, aborted, expired or evicted.
var ErrNotFound = errors.New("snapshot not found")

// Meta is what the caller records about a snapshot: the run it is the
// result of, so that a page served from it can say what it shows.
type Meta struct {
	// AsOf is the instant the segment was evaluated at.
	AsOf time.Time `json:"as_of"`
	// SegmentID and SegmentVersion name the tree that was run.
	SegmentID      string `json:"segment_id"`
	SegmentVersion int    `json:"segment_version"`
	// Watermark is how fresh the events were: all up to it were seen.
	Watermark time.Time `json:"watermark"`
	// CreatedAt is when the run that wrote the snapshot started.
	CreatedAt time.Time `json:"created_at"`
}

// Manifest describes a complete snapshot; it is stored under the
// snapshot's key once every chunk is.
type Manifest struct {
	// Format is the encoding version, Format when written by this package.
	Format int `json:"format"`
	// Generation tells this writing's chunk keys from those of an earlier
	// snapshot under the same key, which readers of it may still fetch.
	Generation string `json:"generation"`
	// Count is the number of IDs.
	Count int64 `json:"count"`
	// Chunks are in ID order.
	Chunks []Chunk `json:"chunks"`
	Meta   Meta    `json:"meta"`
}

// Chunk locates one chunk of IDs: readers binary-search First for a cursor.
type Chunk struct {
	First string `json:"first"`
	Count int    `json:"count"`
}

func chunkKey(key, generation string, i int) string {
	return fmt.Sprintf("%s/%s/%d", key, generation, i)
}

// zstd encoders and decoders are costly to build and safe for concurrent
// EncodeAll and DecodeAll: one of each serves every snapshot.
var (
	encoder, _ = zstd.NewWriter(nil)
	decoder, _ = zstd.NewReader(nil)
)

// appendID front-codes id after prev.
func appendID(buf []byte, prev, id string) []byte {
	shared := 0
	for shared < len(prev) && shared < len(id) && prev[shared] == id[shared] {
		shared++
	}
	buf = binary.AppendUvarint(buf, uint64(shared))
	buf = binary.AppendUvarint(buf, uint64(len(id)-shared))
	return append(buf, id[shared:]...)
}

// chunkDecoder decodes chunks, reusing its buffers from one to the next.
type chunkDecoder struct {
	raw  []byte // decompressed
	all  []byte // the IDs end to end
	ends []int  // where each ID ends in all
	ids  []string
}

// decode decompresses a chunk of count IDs and returns them; the slice (not
// the IDs) is reused by the next call. The IDs are substrings of one string:
// a chunk costs one allocation however many IDs it holds.
func (d *chunkDecoder) decode(compressed []byte, count int) ([]string, error) {
	raw, err := decoder.DecodeAll(compressed, d.raw[:0])
	if err != nil {
		return nil, fmt.Errorf("corrupt chunk: %w", err)
	}
	d.raw = raw
	all := d.all[:0]
	d.ends = d.ends[:0]
	prevStart := 0
	for len(raw) > 0 {
		shared, n1 := binary.Uvarint(raw)
		suffix, n2 := 0, 0
		if n1 > 0 {
			var s uint64
			s, n2 = binary.Uvarint(raw[n1:])
			suffix = int(s)
		}
		start := len(all)
		if n1 <= 0 || n2 <= 0 || shared > uint64(start-prevStart) || suffix < 0 || suffix > len(raw)-n1-n2 {
			return nil, fmt.Errorf("corrupt chunk at ID %d", len(d.ends))
		}
		all = append(all, all[prevStart:prevStart+int(shared)]...)
		all = append(all, raw[n1+n2:n1+n2+suffix]...)
		raw = raw[n1+n2+suffix:]
		d.ends = append(d.ends, len(all))
		prevStart = start
	}
	if len(d.ends) != count {
		return nil, fmt.Errorf("corrupt chunk: %d IDs, the manifest says %d", len(d.ends), count)
	}
	d.all = all
	s := string(all)
	d.ids = d.ids[:0]
	start := 0
	for _, end := range d.ends {
		d.ids = append(d.ids, s[start:end])
		start = end
	}
	return d.ids, nil
}
