package cache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	// headerSize is the expiry, Unix nanoseconds big-endian (0: never),
	// that precedes the value in each file.
	headerSize = 8
	// tempPrefix names files being written; a sweep removes those older
	// than staleTemp, left by a process that died mid-write.
	tempPrefix = ".tmp-"
	staleTemp  = time.Hour
	// sweepEvery is how often an open Disk removes expired files.
	sweepEvery = 10 * time.Minute
)

// Disk is a Store in a directory, one file per key, for the embedded
// default where snapshots must outlive a restart without another server.
// A file is named by the SHA-256 of its key (any key is safe, and 256
// subdirectories keep directories small) and written to a temporary file
// then renamed, so a reader sees the old value or the new one, never part.
// Expired files are misses when read and are removed by a sweep every
// sweepEvery and by Sweep.
type Disk struct {
	dir  string
	opts options
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

// OpenDisk returns a Disk store in dir, created if missing, and starts its
// background sweep (stopped by Close).
func OpenDisk(dir string, opts ...Option) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache disk: %w", err)
	}
	d := &Disk{dir: dir, opts: buildOptions(opts), stop: make(chan struct{})}
	d.done.Go(func() {
		tick := time.NewTicker(sweepEvery)
		defer tick.Stop()
		for {
			select {
			case <-d.stop:
				return
			case <-tick.C:
				// A failed sweep is retried by the next one; reads
				// honour expiry whatever the sweep does.
				_ = d.Sweep(context.Background())
			}
		}
	})
	return d, nil
}

func (d *Disk) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	name := hex.EncodeToString(sum[:])
	return filepath.Join(d.dir, name[:2], name[2:])
}

// Get implements Store.
func (d *Disk) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := os.ReadFile(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cache disk: get %q: %w", key, ErrMiss)
	}
	if err != nil {
		return nil, fmt.Errorf("cache disk: get %q: %w", key, err)
	}
	if len(b) < headerSize {
		return nil, fmt.Errorf("cache disk: get %q: file of %d bytes has no header", key, len(b))
	}
	if expired(decodeExpiry(b), d.opts.now()) {
		return nil, fmt.Errorf("cache disk: get %q: %w", key, ErrMiss)
	}
	return b[headerSize:], nil
}

// Set implements Store. The file is synced before the rename so that a
// crash leaves the old value or the whole new one.
func (d *Disk) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL("disk", key, ttl); err != nil {
		return err
	}
	if err := d.write(d.path(key), value, expiry(d.opts.now(), ttl)); err != nil {
		return fmt.Errorf("cache disk: set %q: %w", key, err)
	}
	return nil
}

func (d *Disk) write(path string, value []byte, expires time.Time) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), tempPrefix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	var header [headerSize]byte
	if !expires.IsZero() {
		binary.BigEndian.PutUint64(header[:], uint64(expires.UnixNano()))
	}
	if _, err := f.Write(header[:]); err != nil {
		return err
	}
	if _, err := f.Write(value); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func decodeExpiry(header []byte) time.Time {
	n := binary.BigEndian.Uint64(header)
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(n))
}

// Delete implements Store.
func (d *Disk) Delete(ctx context.Context, key string) error {
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache disk: delete %q: %w", key, err)
	}
	return nil
}

// Sweep removes the files that have expired and the temporary files of
// writes abandoned more than an hour ago. A value replaced between the
// sweep's read of the old file's expiry and its removal is lost (a miss);
// snapshots never replace a chunk, so only a rewritten manifest could be.
func (d *Disk) Sweep(ctx context.Context) error {
	now := d.opts.now()
	err := filepath.WalkDir(d.dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), tempPrefix) {
			info, err := e.Info()
			if err == nil && now.Sub(info.ModTime()) > staleTemp {
				err = os.Remove(path)
			}
			return ignoreNotExist(err)
		}
		exp, err := readExpiry(path)
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF): // no header: torn
			err = os.Remove(path)
		case err == nil && expired(exp, now):
			err = os.Remove(path)
		}
		return ignoreNotExist(err)
	})
	if err != nil {
		return fmt.Errorf("cache disk: sweep %s: %w", d.dir, err)
	}
	return nil
}

func readExpiry(path string) (time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	var header [headerSize]byte
	if _, err := io.ReadFull(f, header[:]); err != nil {
		return time.Time{}, err
	}
	return decodeExpiry(header[:]), nil
}

// ignoreNotExist: a file removed by someone else meanwhile is not an error.
func ignoreNotExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Ping implements Store: the directory is there.
func (d *Disk) Ping(ctx context.Context) error {
	if _, err := os.Stat(d.dir); err != nil {
		return fmt.Errorf("cache disk: %w", err)
	}
	return nil
}

// Close implements Store by stopping the background sweep; the files stay.
func (d *Disk) Close() error {
	d.once.Do(func() { close(d.stop) })
	d.done.Wait()
	return nil
}
