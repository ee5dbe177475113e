package cassandra

import (
	"context"
	"fmt"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// first_seen and last_seen are written with timestamps that make the
// earliest and the latest event win whatever order writes land in
// (WriteEvents). A user ID erased gen times writes them in band gen: band
// 0 is every timestamp up to maxTimestamp, band g ≥ 1 the 2^53
// timestamps after band g−1. Erasing deletes them with a tombstone at the
// top of the user's band, which covers every value written before and
// none written after, since later writes move to the next band.
const (
	bandBits = 53
	// maxGen bounds how many times one user ID can be erased: the bands
	// must stay below the largest timestamp, 2^63−1.
	maxGen = (1<<62 - 1) >> bandBits
)

// seenStamps are the write timestamps of last_seen and first_seen for an
// event at t of a user ID erased gen times: the later t, the larger the
// first and the smaller the second. Times are after 1970 and before 2112
// (2^52 µs), as the ingestion API accepts.
func seenStamps(t time.Time, gen int) (last, first int64) {
	us := t.UnixMicro()
	if gen == 0 {
		return us, maxTimestamp - us
	}
	lo := seenTop(gen-1) + 1
	return lo + us, seenTop(gen) - us
}

// seenTop is the largest timestamp of band gen.
func seenTop(gen int) int64 { return maxTimestamp + int64(gen)<<bandBits }

// gens returns the generation of each of the users that was ever erased
// (the others are 0): one read of the app's partition of erasures.
func (st *Store) gens(ctx context.Context, appID string, users []string) (map[string]int, error) {
	iter := st.s.Query("SELECT user_id, gen FROM "+st.cfg.Keyspace+".erasures WHERE app_id = ? AND user_id IN ?", appID, users).IterContext(ctx)
	out := map[string]int{}
	var id string
	var gen int
	for iter.Scan(&id, &gen) {
		out[id] = gen
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("cassandra: reading erasures: %w", err)
	}
	return out, nil
}

// UserDays are the UTC days of the user's events, from the user's own
// partition, which every write fills (fresh and late events alike) and
// compaction leaves.
func (st *Store) UserDays(ctx context.Context, appID, userID string) ([]time.Time, error) {
	iter := st.s.Query("SELECT time FROM "+st.cfg.Keyspace+".events_by_user WHERE app_id = ? AND user_id = ?", appID, userID).IterContext(ctx)
	var days []time.Time
	var t time.Time
	for iter.Scan(&t) {
		if d := Day(t); len(days) == 0 || !days[len(days)-1].Equal(d) { // rows come in time order
			days = append(days, d)
		}
	}
	return days, iter.Close()
}

// EraseUser deletes the user's profile and every event from Cassandra:
// the rows of its events in the day partitions and in late events (keyed
// by each event's day and bucket, which the user's own partition gives),
// its profile with first_seen and last_seen, and last the user's own
// partition, so that an erasure that dies part way is found whole again
// by its retry. Then the app's watermark moves. Events the same ID sends
// later make a new user. (History is compaction's: compact.Eraser purges
// it first.)
func (st *Store) EraseUser(ctx context.Context, appID, userID string) error {
	ks := st.cfg.Keyspace
	g, err := st.gens(ctx, appID, []string{userID})
	if err != nil {
		return err
	}
	gen := g[userID]
	if gen >= maxGen {
		return fmt.Errorf("cassandra: user %q of app %q was erased %d times, the most one ID can be", userID, appID, gen)
	}
	iter := st.s.Query("SELECT time, event_id FROM "+ks+".events_by_user WHERE app_id = ? AND user_id = ?", appID, userID).IterContext(ctx)
	var t time.Time
	var id string
	var stmts []*gocql.Query
	for iter.Scan(&t, &id) {
		b := st.Bucket(id)
		stmts = append(stmts,
			st.s.Query("DELETE FROM "+ks+".events WHERE app_id = ? AND day = ? AND bucket = ? AND time = ? AND event_id = ?",
				appID, Day(t).Format(time.DateOnly), b, t, id),
			st.s.Query("DELETE FROM "+ks+".late_events WHERE app_id = ? AND bucket = ? AND event_id = ?", appID, b, id))
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("cassandra: reading the events of %q: %w", userID, err)
	}
	ub := st.Bucket(userID)
	stmts = append(stmts,
		st.s.Query("DELETE FROM "+ks+".users WHERE app_id = ? AND bucket = ? AND user_id = ?", appID, ub, userID),
		st.s.Query("DELETE first_seen, last_seen FROM "+ks+".users USING TIMESTAMP ? WHERE app_id = ? AND bucket = ? AND user_id = ?",
			seenTop(gen), appID, ub, userID))
	if err := st.execAll(ctx, stmts); err != nil {
		return fmt.Errorf("cassandra: erasing %q: %w", userID, err)
	}
	// The next generation before the index goes: a retry after this
	// point erases the new generation's events too, which are events the
	// ID sent during the erasure.
	if err := st.s.Query("UPDATE "+ks+".erasures SET gen = ? WHERE app_id = ? AND user_id = ?", gen+1, appID, userID).ExecContext(ctx); err != nil {
		return fmt.Errorf("cassandra: erasing %q: %w", userID, err)
	}
	if err := st.s.Query("DELETE FROM "+ks+".events_by_user WHERE app_id = ? AND user_id = ?", appID, userID).ExecContext(ctx); err != nil {
		return fmt.Errorf("cassandra: erasing %q: %w", userID, err)
	}
	_, err = st.advance(ctx, appID)
	return err
}
