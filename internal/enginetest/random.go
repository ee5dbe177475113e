package enginetest

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
	_ "time/tzdata" // the zones load on a machine without a zone database

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/randtree"
)

// SeedEnv names the variable that fixes the random trees: "N" runs the
// one tree of seed N, "N+K" the K trees from seed N. Unset, every run
// draws new seeds, and each tree's subtest is named after its seed.
const SeedEnv = "SEGMENTD_RANDTREE_SEED"

// RandomAgreement runs n random trees (internal/randtree) over s.Data,
// which may reference the corpus's saved segments (s.Lookup must resolve
// them), on the engine under each strategy: the members must be the
// reference evaluator's, as in Agreement. A failure names the seed
// (subtest seed-N), which SeedEnv runs again.
func RandomAgreement(t *testing.T, eng engine.Engine, s Setup, n int, strategies ...compile.Strategy) {
	t.Helper()
	first, cases := RandomCases(t, s, n)
	began := time.Now()
	r := Agreement(t, eng, s, cases, strategies...)
	t.Logf("random trees on %s: seeds %d+%d (%s=%d+%d runs them again): %d of %d failed, %d of them over the stage limit; %d selected nobody and %d everybody; in %s",
		eng.Dialect().Name, first, len(cases), SeedEnv, first, len(cases), r.Failed, r.Cases, r.StageLimit, r.Nobody, r.Everybody, time.Since(began).Round(time.Millisecond))
}

// RandomCases makes n random trees over s.Data (SeedEnv fixes them),
// each a case named after its seed, four in five in another time zone;
// it returns the first seed too.
func RandomCases(t *testing.T, s Setup, n int) (uint64, []Case) {
	t.Helper()
	first, n, err := seeds(os.Getenv(SeedEnv), n, uint64(time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	v, err := corpus.Vocabulary(s.Data, s.AsOf, s.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	cases := make([]Case, n)
	for i := range cases {
		seed := first + uint64(i)
		cases[i] = Case{Name: "seed-" + strconv.FormatUint(seed, 10), JSON: randtree.Generate(v, seed)}
		if zone := zones[seed%uint64(len(zones))]; zone != "" {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			cases[i].Location = loc
		}
	}
	return first, cases
}

// zones are the apps' time zones random trees run in besides s.Location
// (""): calendar windows in zones of half and three-quarter hours, and
// of the southern hemisphere, where DST runs the other way.
var zones = []string{"", "Australia/Sydney", "Asia/Kathmandu", "America/St_Johns", "UTC"}

// seeds reads SeedEnv's value: the first seed and how many, or n trees
// from the fallback seed when it is empty.
func seeds(env string, n int, fallback uint64) (uint64, int, error) {
	if env == "" {
		return fallback, n, nil
	}
	var first uint64
	count := 1
	if _, err := fmt.Sscanf(env, "%d+%d", &first, &count); err != nil {
		if first, err = strconv.ParseUint(env, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("%s=%q: want a seed N or N+count", SeedEnv, env)
		}
		count = 1
	}
	if count < 1 {
		return 0, 0, fmt.Errorf("%s=%q: want at least one tree", SeedEnv, env)
	}
	return first, count, nil
}
