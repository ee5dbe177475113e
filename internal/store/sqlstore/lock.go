package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"sync"
)

// historyLockWait is how long LockHistory waits on MySQL for another
// server's compaction or erasure of the app (GET_LOCK's timeout).
const historyLockWait = 600

// LockHistory takes the app's history lock, which a compaction run and a
// user's erasure hold while they write history, so that no compaction
// copies an erased user's events into history after the erasure purged
// it. On MySQL it is a named lock (GET_LOCK) held by one connection: every
// server of a deployment sees it, and a server that dies releases it with
// its connection. On SQLite, one server's store, it is a lock of the
// process.
func (s *SQL) LockHistory(ctx context.Context, appID string) (unlock func(), err error) {
	if s.d.name != "mysql" {
		mu := s.historyLocks.of(appID)
		mu.Lock()
		return mu.Unlock, nil
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: history lock of %q: %w", appID, err)
	}
	// Lock names are at most 64 characters; app IDs may be 64 bytes.
	sum := sha256.Sum256([]byte(appID))
	name := "segmentd.history." + hex.EncodeToString(sum[:20])
	var got *int
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(?, ?)`, name, historyLockWait).Scan(&got); err != nil || got == nil || *got != 1 {
		conn.Close()
		if err == nil {
			err = fmt.Errorf("not granted within %d s", historyLockWait)
		}
		return nil, fmt.Errorf("store: history lock of %q: %w", appID, err)
	}
	return func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `DO RELEASE_LOCK(?)`, name); err != nil {
			// The lock lives as long as the session: a connection that
			// failed to release it leaves the pool, closed.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

// appLocks are mutexes by app ID, made on first use and never freed (one
// per app the process compacts or erases in).
type appLocks struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

func (l *appLocks) of(appID string) *sync.Mutex {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*sync.Mutex{}
	}
	if l.m[appID] == nil {
		l.m[appID] = &sync.Mutex{}
	}
	return l.m[appID]
}
