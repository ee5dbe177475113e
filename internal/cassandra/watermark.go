package cassandra

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// advance moves the app's watermark past every value before, once the
// write calling it is durable, and returns the write's own watermark: a
// microsecond that no other write of the app gets, on any server.
//
// The watermark row is moved by a compare-and-set (a lightweight
// transaction), so that each move starts from the value the previous one
// set, whichever server made it: the watermark increases strictly even
// when writes fall in the same microsecond or a server's clock is behind.
// The concurrent writes of an app on this server share a transaction: a
// round of n writes moves the watermark by n microseconds at once, each
// write taking one of them, since Paxos runs one transaction at a time on
// the row (see BenchmarkWatermark).
func (st *Store) advance(ctx context.Context, appID string) (time.Time, error) {
	a, r, i, lead := st.rounds.join(appID)
	if lead {
		// The round takes writes until the previous round's transaction
		// is done. It then runs for every write in it, even if this one's
		// request has gone.
		a.turn <- struct{}{}
		n := st.rounds.close(a)
		r.first, r.err = st.move(context.WithoutCancel(ctx), appID, n)
		<-a.turn
		close(r.done)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
	if r.err != nil {
		return time.Time{}, r.err
	}
	return r.first.Add(time.Duration(i) * time.Microsecond), nil
}

// move sets the app's watermark to first + n - 1µs, where first is
// max(now, previous + 1µs), by a compare-and-set, and returns first. A
// lost race (another server moved it) is tried again over the value that
// won. A transaction that times out may still land: the writes then fail,
// and their retries move the watermark again, which is harmless.
func (st *Store) move(ctx context.Context, appID string, n int) (time.Time, error) {
	cur, err := st.watermark(ctx, appID)
	if err != nil {
		return time.Time{}, err
	}
	for range maxMoves {
		first := st.now().UnixMicro()
		if cur != nil {
			first = max(first, *cur+1)
		}
		// On a lost race ScanCAS sets cur to the value that won.
		applied, err := st.s.Query("UPDATE "+st.cfg.Keyspace+".watermarks SET micros = ? WHERE app_id = ? IF micros = ?", first+int64(n)-1, appID, cur).
			ScanCASContext(ctx, &cur)
		if err != nil {
			return time.Time{}, fmt.Errorf("cassandra: watermark: %w", err)
		}
		if applied {
			return time.UnixMicro(first).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cassandra: watermark of app %q: other servers moved it %d times in a row", appID, maxMoves)
}

// maxMoves bounds the compare-and-sets of one move: each server has one
// transaction of an app in flight at a time, and one of them wins each
// race, so it is more than the servers of a deployment.
const maxMoves = 100

// Watermark is the instant of the app's latest acknowledged write (events
// or profile), in microseconds, strictly increasing across servers (see
// advance); zero if none.
func (st *Store) Watermark(ctx context.Context, appID string) (time.Time, error) {
	micros, err := st.watermark(ctx, appID)
	if err != nil || micros == nil {
		return time.Time{}, err
	}
	return time.UnixMicro(*micros).UTC(), nil
}

// watermark reads the app's watermark in microseconds, nil for none.
func (st *Store) watermark(ctx context.Context, appID string) (*int64, error) {
	var micros *int64
	err := st.s.Query("SELECT micros FROM "+st.cfg.Keyspace+".watermarks WHERE app_id = ?", appID).ScanContext(ctx, &micros)
	if err != nil && !errors.Is(err, gocql.ErrNotFound) {
		return nil, fmt.Errorf("cassandra: watermark: %w", err)
	}
	return micros, nil
}

// rounds gathers the concurrent watermark moves of each app on one server
// into rounds, one transaction each, one at a time.
type rounds struct {
	mu   sync.Mutex
	apps map[string]*appRounds
}

type appRounds struct {
	// turn holds a token while a round's transaction runs.
	turn chan struct{}
	// open is the round taking writes, nil if none.
	open *round
}

type round struct {
	n     int           // writes in the round
	done  chan struct{} // closed once first and err are set
	first time.Time     // the watermark of the round's first write
	err   error
}

// join adds a write to the app's open round, opening one if there is
// none, and returns the write's place i in it; lead is whether the write
// opened it, and so runs it.
func (rs *rounds) join(appID string) (a *appRounds, r *round, i int, lead bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.apps == nil {
		rs.apps = map[string]*appRounds{}
	}
	if a = rs.apps[appID]; a == nil {
		a = &appRounds{turn: make(chan struct{}, 1)}
		rs.apps[appID] = a
	}
	if a.open == nil {
		a.open = &round{done: make(chan struct{})}
		lead = true
	}
	r = a.open
	r.n++
	return a, r, r.n - 1, lead
}

// close stops the app's open round taking writes and returns their number.
func (rs *rounds) close(a *appRounds) int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	n := a.open.n
	a.open = nil
	return n
}
