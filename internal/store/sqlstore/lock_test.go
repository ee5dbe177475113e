package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// testHistoryLock checks that b cannot take the app's history lock while
// a holds it, takes it once a lets go, and that another app's lock is
// free meanwhile.
func testHistoryLock(t *testing.T, a, b *SQL) {
	ctx := context.Background()
	unlock, err := a.LockHistory(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func(), 1)
	go func() {
		u, err := b.LockHistory(ctx, "app")
		if err != nil {
			t.Error(err)
			u = func() {}
		}
		got <- u
	}()
	other, err := b.LockHistory(ctx, "other-app")
	if err != nil {
		t.Fatal(err)
	}
	other()
	select {
	case <-got:
		t.Fatal("the lock was taken twice")
	case <-time.After(300 * time.Millisecond):
	}
	unlock()
	select {
	case u := <-got:
		u()
	case <-time.After(10 * time.Second):
		t.Fatal("the lock was not taken after its release")
	}
}

func TestHistoryLockSQLite(t *testing.T) {
	s := openDSN(t, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	testHistoryLock(t, s, s)
}
