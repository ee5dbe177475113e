package cassandra

import "testing"

// TestRounds: writes that join while a round is open share it, each in
// its own place; once closed, the next write opens a new round, and
// another app's writes have rounds of their own.
func TestRounds(t *testing.T) {
	var rs rounds
	a, r, i, lead := rs.join("a")
	if !lead || i != 0 {
		t.Fatalf("the first write: place %d, lead %v", i, lead)
	}
	for want := 1; want < 3; want++ {
		if _, r2, i, lead := rs.join("a"); lead || r2 != r || i != want {
			t.Fatalf("a write joining an open round: place %d (want %d), lead %v, same round %v", i, want, lead, r2 == r)
		}
	}
	if _, rb, i, lead := rs.join("b"); !lead || rb == r || i != 0 {
		t.Fatal("another app's write joined the round")
	}
	if n := rs.close(a); n != 3 {
		t.Fatalf("closed a round of %d writes, want 3", n)
	}
	if _, r2, i, lead := rs.join("a"); !lead || r2 == r || i != 0 {
		t.Fatal("a write joined a closed round")
	}
}
