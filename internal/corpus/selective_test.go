package corpus

import (
	"strings"
	"testing"

	"github.com/segmentd/segmentd/internal/evaluate"
)

// TestCasesAreSelective evaluates every case over the corpus data with the
// reference evaluator. A tree that selects nobody or everybody cannot tell
// a right engine from a wrong one, so that is a failure, except for the
// cases named "-empty" or "-all", which must then select exactly nobody or
// everybody.
func TestCasesAreSelective(t *testing.T) {
	d := Dataset()
	byUser := d.EventsByUser()
	opt := evaluate.Options{AsOf: AsOf, Location: Location()}
	for _, c := range Cases() {
		tree := expanded(t, c)
		n := 0
		for _, u := range d.Users {
			if evaluate.Member(tree, u, byUser[u.UserID], opt) {
				n++
			}
		}
		t.Logf("%-60s %5d of %d", c.Name, n, len(d.Users))
		switch {
		case strings.Contains(c.Name, "-empty"):
			if n != 0 {
				t.Errorf("%s selects %d users, want none", c.Name, n)
			}
		case strings.Contains(c.Name, "-all"):
			if n != len(d.Users) {
				t.Errorf("%s selects %d of %d users, want all", c.Name, n, len(d.Users))
			}
		case n == 0:
			t.Errorf("%s selects nobody", c.Name)
		case n == len(d.Users):
			t.Errorf("%s selects everybody", c.Name)
		}
	}
}
