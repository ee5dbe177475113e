package dataset

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

// Config says what Generate makes. The same Config always gives the same
// Data.
type Config struct {
	// Users is the number of user profiles. A user ID is "u" and the user's
	// index, zero-padded to at least six digits, so that byte order is
	// index order.
	Users int
	// Events is the exact number of events. Every event belongs to one of
	// the users; activity is heavy-tailed, and some users have no events.
	Events int
	// Seed fixes the data.
	Seed uint64
	// Start and End bound event times: Start <= time < End. Sign-ups fall
	// between Start and AsOf.
	Start, End time.Time
	// AsOf is the instant the data is meant to be evaluated at (zero means
	// End). Activity grows towards it, events cluster around the calendar
	// boundaries just before it, and the events after it (up to End) are
	// the ones an evaluation at AsOf must ignore.
	AsOf time.Time
	// TimeZone is the IANA zone of the app ("" means UTC): events cluster
	// around its local midnights, Mondays, month and year starts near AsOf
	// and around its DST changes between Start and End.
	TimeZone string
	// UserTimeZones places each user in their country's time zone (the
	// "timezone" attribute) and draws their sessions' time of day from a
	// daily rhythm there (few at night, most in the evening), so that the
	// users' local days differ from the app's: what a benchmark's calendar
	// windows and per-day counts meet in a real app.
	UserTimeZones bool
	// Zipf, when positive, makes activity follow Zipf's law with this
	// exponent (the user of rank k weighs about k^-Zipf) instead of the
	// default log-normal, whose tail is lighter. Either weight is scaled
	// by the time since sign-up.
	Zipf float64
}

// Canary is a value that breaks SQL built by pasting strings together.
// Generate puts it into attribute and property values.
const Canary = `'); DROP TABLE users; --`

// oddStrings are values that quoting, escaping, LIKE patterns and encodings
// get wrong.
var oddStrings = []string{
	Canary,
	`O'Brien said "hi"`,
	`back\slash \\ and \n`,
	`ünïcödé 東京 🚀`,
	`100% _off_ deal`,
	"tab\tand\nnewline",
}

// Generate makes the users and events of a plausible shop app. Events come
// in time order (ties in an arbitrary but fixed order) with UTC times of
// millisecond precision; event IDs are unique, in no relation to time, so
// that ties broken by event_id differ from ties broken by position.
//
// Events: $session {platform, duration_s, app-version}, $meta {isMember
// (0 or 1), plan}, view_item {item_id, category, price}, add_to_cart
// {item_id, price}, $buy {items: [{item_id, price, category, weight}], total,
// currency, coupon}, signup {source}. The data deliberately holds what a
// segment engine gets wrong: equal timestamps for one user, nulls, missing
// keys, prices given as strings, null array elements, odd strings (Canary
// among them), events around DST changes and calendar boundaries, and
// events after AsOf.
//
// Users: country, plan, age, member, vip, address {city}, email, signup_at
// (an RFC 3339 string), score, nickname and $locale, each sometimes missing
// and most sometimes null. FirstSeen and LastSeen span the user's events
// (those after AsOf included), or are the sign-up time for a user without
// events. About 1% of users are window shoppers, members with expensive
// taste who come daily lately but have stopped buying (the spec's worked
// example).
//
// Property maps of different events are distinct, but scalar values are
// shared: treat the data as read-only. Generate panics on a Config it
// cannot honour (an unknown TimeZone, End not after Start, events without
// users).
func Generate(cfg Config) *Data {
	return newGenerator(cfg).chunk(0, cfg.Users)
}

// GenerateChunks makes the data of cfg in chunks of at most chunkUsers
// users and calls fn with each in turn, so that data larger than memory
// can be written as it is made. A chunk holds the next users in ID order
// and their events, in time order within the chunk; its share of
// cfg.Events is proportional to its users and spread over them as
// Generate spreads all events over all users, so a single chunk is
// exactly Generate's data. User and event IDs are unique across chunks.
// The first error of fn stops the generation and is returned.
func GenerateChunks(cfg Config, chunkUsers int, fn func(*Data) error) error {
	if chunkUsers < 1 {
		return fmt.Errorf("dataset: chunks of %d users", chunkUsers)
	}
	g := newGenerator(cfg)
	for lo := 0; lo < cfg.Users; lo += chunkUsers {
		if err := fn(g.chunk(lo, min(lo+chunkUsers, cfg.Users))); err != nil {
			return err
		}
	}
	return nil
}

// chunk makes users lo to hi-1 and their share of the events.
func (g *generator) chunk(lo, hi int) *Data {
	first := g.eventsBefore(lo)
	plans := g.plan(lo, hi, g.eventsBefore(hi)-first)
	offsets := make([]int, len(plans)+1)
	for i, p := range plans {
		offsets[i+1] = offsets[i] + p.events
	}
	users := make([]record.User, len(plans))
	events := make([]record.Event, offsets[len(plans)])

	// Each user has its own random stream, so users can be made in parallel
	// and the result does not depend on scheduling.
	workers := min(runtime.GOMAXPROCS(0), max(1, len(plans)/1000))
	var wg sync.WaitGroup
	for w := range workers {
		from, to := w*len(plans)/workers, (w+1)*len(plans)/workers
		wg.Go(func() {
			for i := from; i < to; i++ {
				users[i] = g.user(lo+i, plans[i], events[offsets[i]:offsets[i+1]])
			}
		})
	}
	wg.Wait()

	return &Data{Users: users, Events: g.finish(events, first)}
}

// eventsBefore is how many events the users before user i have in all.
func (g *generator) eventsBefore(i int) int {
	if i == 0 {
		return 0
	}
	return int(int64(g.cfg.Events) * int64(i) / int64(g.cfg.Users))
}

// finish sorts the events by time and gives them their IDs, numbered
// from first (the chunk's place among all events), so that IDs are unique
// across chunks.
func (g *generator) finish(events []record.Event, first int) []record.Event {
	type key struct {
		ms int64
		i  int32
	}
	keys := make([]key, len(events))
	for i := range events {
		keys[i] = key{events[i].Time.UnixMilli(), int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.ms, b.ms), cmp.Compare(a.i, b.i))
	})
	out := make([]record.Event, len(events))
	// All IDs live in one string: "e" and 16 hex digits of a bijective
	// mix of the position, so they are unique and unordered.
	const idLen = 17
	buf := make([]byte, 0, idLen*len(events))
	for k := range keys {
		buf = append(buf, 'e')
		h := mix(uint64(first+k) + g.cfg.Seed*0x9e3779b97f4a7c15)
		for shift := 60; shift >= 0; shift -= 4 {
			buf = append(buf, "0123456789abcdef"[h>>uint(shift)&0xf])
		}
	}
	ids := string(buf)
	for k, kk := range keys {
		out[k] = events[kk.i]
		out[k].EventID = ids[k*idLen : (k+1)*idLen]
	}
	return out
}

// mix is the SplitMix64 finalizer, a bijection on uint64.
func mix(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	return z ^ z>>31
}

// generator holds what all users share; it is read-only once made, so
// users can be made in parallel.
type generator struct {
	cfg                    Config
	loc                    *time.Location
	startMs, endMs, asOfMs int64
	idWidth                int
	// boundaries are instants that windows start or end at: events
	// cluster around them.
	boundaries []int64
	catalog    []item
	// dear lists the dearest items, which luxury shoppers look at.
	dear []int
	// durations (1 to 3600) and zeroOne are numbers boxed once, so that
	// filling a property map allocates little more than the map.
	durations []any
	zeroOne   [2]any
	// zones are the countries' time zones, with UserTimeZones.
	zones []*time.Location
}

// item is a product of the shop; its values are boxed once.
type item struct {
	id, category, price, priceText any
	priceNum                       float64
	// weight is in tenths of a kilogram: sums of tenths are inexact in
	// binary, so they depend on the order of addition (which the language
	// fixes).
	weight any
}

var (
	categories = []string{"books", "shoes", "electronics", "games", "food", "beauty", "toys", "garden"}
	platforms  = []any{"ios", "android", "web"}
	plans      = []any{"free", "plus", "pro"}
	versions   = []any{"3.1.0", "3.2.0", "3.2.1", "4.0.0-beta", "2.9.9"}
	coupons    = []any{"WELCOME10", "SPRING", "vip-2026", "", Canary, `50% "off"`}
	sources    = []any{"organic", "ads", "referral", "email", Canary, `ünïcödé 東京 🚀`}
	queries    = []any{"shoes", "red dress", Canary, `O'Brien said "hi"`, `back\slash \\ and \n`, `100% _off_ deal`}
	nicknames  = []string{"Aki", "Ben", "Chloé", "Dana", "Emi", "Finn", "Günther", "Hana", "민준", "Zoë"}
	countries  = []struct {
		code     string
		weight   int
		cities   []string
		offset   int // hours east of UTC, for signup_at written in local time
		currency any
		locale   string
		zone     string // with UserTimeZones
	}{
		{"JP", 30, []string{"Tokyo", "東京", "Osaka", "Sapporo"}, 9, "JPY", "ja-JP", "Asia/Tokyo"},
		{"US", 20, []string{"New York", "O'Fallon", "San José", "Austin"}, -5, "USD", "en-US", "America/New_York"},
		{"DE", 15, []string{"Berlin", "München", "Köln", "Hamburg"}, 1, "EUR", "de-DE", "Europe/Berlin"},
		{"KR", 10, []string{"Seoul", "부산", "Incheon"}, 9, "KRW", "ko-KR", "Asia/Seoul"},
		{"FR", 8, []string{"Paris", "Lyon"}, 1, "EUR", "fr-FR", "Europe/Paris"},
		{"GB", 7, []string{"London", "Manchester"}, 0, "GBP", "en-GB", "Europe/London"},
		{"BR", 5, []string{"São Paulo", "Rio de Janeiro"}, -3, "BRL", "pt-BR", "America/Sao_Paulo"},
		{"IN", 5, []string{"Mumbai", "Bengaluru"}, 5, "INR", "en-IN", "Asia/Kolkata"},
	}
	// hourShare is the percentage of sessions that start in each local
	// hour, with UserTimeZones.
	hourShare     = []int{2, 1, 1, 1, 1, 1, 2, 4, 5, 4, 4, 5, 7, 5, 4, 4, 4, 5, 6, 7, 8, 9, 7, 3}
	countryWeight = func() (w int) {
		for _, c := range countries {
			w += c.weight
		}
		return w
	}()
)

func newGenerator(cfg Config) *generator {
	if cfg.Users < 0 || cfg.Events < 0 || (cfg.Events > 0 && cfg.Users == 0) {
		panic(fmt.Sprintf("dataset: cannot make %d events for %d users", cfg.Events, cfg.Users))
	}
	if cfg.Events > math.MaxInt32 {
		panic("dataset: too many events")
	}
	if !cfg.Start.Before(cfg.End) {
		panic("dataset: End must be after Start")
	}
	if cfg.AsOf.IsZero() {
		cfg.AsOf = cfg.End
	}
	if cfg.AsOf.Before(cfg.Start) || cfg.AsOf.After(cfg.End) {
		panic("dataset: AsOf must lie between Start and End")
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		panic("dataset: " + err.Error())
	}
	g := &generator{
		cfg:     cfg,
		loc:     loc,
		startMs: cfg.Start.UnixMilli(),
		endMs:   cfg.End.UnixMilli(),
		asOfMs:  cfg.AsOf.UnixMilli(),
		idWidth: max(6, len(strconv.Itoa(cfg.Users-1))),
		zeroOne: [2]any{0.0, 1.0},
	}
	g.boundaries = g.findBoundaries()
	if cfg.UserTimeZones {
		for _, c := range countries {
			loc, err := time.LoadLocation(c.zone)
			if err != nil {
				panic("dataset: " + err.Error())
			}
			g.zones = append(g.zones, loc)
		}
	}

	r := rand.New(rand.NewPCG(cfg.Seed, 0xca7a1065))
	g.catalog = make([]item, 400)
	for i := range g.catalog {
		// Prices are whole numbers, 100 to 50000, so every sum is exact.
		p := math.Round(math.Exp(r.NormFloat64()+math.Log(3000))/10) * 10
		p = min(max(p, 100), 50000)
		g.catalog[i] = item{
			id:        fmt.Sprintf("sku-%04d", i),
			category:  categories[r.IntN(len(categories))],
			price:     p,
			priceText: strconv.FormatFloat(p, 'f', -1, 64),
			priceNum:  p,
		}
	}
	// Weights come from a stream of their own, so that the other values
	// are those of data sets made before weights were.
	wr := rand.New(rand.NewPCG(cfg.Seed, 0x3e19e7))
	for i := range g.catalog {
		g.catalog[i].weight = float64(1+wr.IntN(200)) / 10
	}
	byPrice := make([]int, len(g.catalog))
	for i := range byPrice {
		byPrice[i] = i
	}
	slices.SortStableFunc(byPrice, func(a, b int) int { return cmp.Compare(g.catalog[b].priceNum, g.catalog[a].priceNum) })
	g.dear = byPrice[:len(byPrice)*15/100]
	g.durations = make([]any, 3600)
	for i := range g.durations {
		g.durations[i] = float64(i + 1)
	}
	return g
}

// findBoundaries lists the instants calendar and last-duration windows at
// AsOf start or end at, and the DST changes between Start and End with the
// local midnights around them.
func (g *generator) findBoundaries() []int64 {
	asOf := g.cfg.AsOf
	ts := []time.Time{asOf}
	for _, p := range []string{segment.PeriodDay, segment.PeriodWeek, segment.PeriodMonth, segment.PeriodYear} {
		for off := -2; off <= 1; off++ {
			ts = append(ts, segment.PeriodStart(asOf, g.loc, p, off))
		}
	}
	for _, d := range []time.Duration{90 * time.Minute, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour} {
		ts = append(ts, asOf.Add(-d))
	}
	// DST changes: scan by the hour, then narrow to the second.
	_, prev := g.cfg.Start.In(g.loc).Zone()
	for t := g.cfg.Start; t.Before(g.cfg.End); t = t.Add(time.Hour) {
		if _, off := t.In(g.loc).Zone(); off != prev {
			lo := t.Add(-time.Hour)
			n := sort.Search(3600, func(s int) bool {
				_, o := lo.Add(time.Duration(s) * time.Second).In(g.loc).Zone()
				return o != prev
			})
			change := lo.Add(time.Duration(n) * time.Second)
			ts = append(ts, change,
				segment.PeriodStart(change, g.loc, segment.PeriodDay, 0),
				segment.PeriodStart(change, g.loc, segment.PeriodDay, 1),
				segment.PeriodStart(change, g.loc, segment.PeriodWeek, 1))
			prev = off
		}
	}
	var out []int64
	for _, t := range ts {
		if ms := t.UnixMilli(); ms >= g.startMs && ms < g.endMs {
			out = append(out, ms)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// userPlan is what is decided about a user before its events are made.
type userPlan struct {
	events int
	signup int64
	// shopper marks a window shopper: a member with expensive taste who
	// browses a lot lately and rarely buys (the spec's worked example).
	shopper bool
}

// plan decides when users lo to hi-1 sign up and how they share events:
// activity proportional to the time since sign-up, times a heavy-tailed
// factor (a few very active users, many light ones), and about 5% of users
// with no events at all.
func (g *generator) plan(lo, hi, events int) []userPlan {
	n := hi - lo
	plans := make([]userPlan, n)
	r := rand.New(rand.NewPCG(g.cfg.Seed, 0xac71f17^uint64(lo)))
	w := make([]float64, n)
	total := 0.0
	span := float64(g.asOfMs - g.startMs)
	for i := range plans {
		p := &plans[i]
		p.signup = g.startMs + int64(span*r.Float64())
		p.shopper = r.IntN(100) == 0
		tenure := float64(g.asOfMs-p.signup) / span
		if g.cfg.Zipf > 0 {
			// A Pareto draw: ranked, the weights fall as rank^-Zipf. The
			// cap keeps the heaviest user to about 400 times the mean, not
			// a share of all events that grows with the users' number.
			w[i] = min(math.Pow(1-r.Float64(), -g.cfg.Zipf), 1000) * (0.05 + tenure)
		} else {
			w[i] = math.Exp(1.5*r.NormFloat64()) * (0.05 + tenure)
		}
		if p.shopper {
			w[i] = 15 // about nine times the log-normal mean
		}
		if n >= 20 && r.IntN(100) < 5 {
			w[i] = 0
		}
		total += w[i]
	}
	if events == 0 {
		return plans
	}
	if total == 0 {
		w[0], total = 1, 1
	}
	given := 0
	cum := make([]float64, n)
	acc := 0.0
	for i := range w {
		plans[i].events = int(float64(events) * w[i] / total)
		given += plans[i].events
		acc += w[i]
		cum[i] = acc
	}
	for ; given < events; given++ {
		i, _ := slices.BinarySearch(cum, r.Float64()*acc)
		i = min(i, n-1)
		for w[i] == 0 { // a float edge: step to a user with weight
			i = (i + 1) % n
		}
		plans[i].events++
	}
	return plans
}

// dailySpan is the time before AsOf in which daily users come every day.
const dailySpan = 14 * 24 * 3600_000

// userGen makes one user's events.
type userGen struct {
	*generator
	r        *rand.Rand
	uid      string
	out      []record.Event
	n        int
	minMs    int64
	maxMs    int64
	member   int
	planIdx  int
	currency any
	// Traits: luxury shoppers look at dear items; buyPct is the chance
	// (percent) that a session with a full cart ends in a purchase;
	// recentPml is the share (per mille) of sessions drawn close to AsOf.
	luxury    bool
	buyPct    int
	recentPml int
	// daily users come back every day of the last dailySpan.
	daily bool
	// zone is where the user lives, with UserTimeZones, and lastDay the
	// local midnight (as if UTC) of their latest session.
	zone    *time.Location
	lastDay int64
}

func (u *userGen) full() bool { return u.n == len(u.out) }

// emit adds an event unless the user's budget is spent.
func (u *userGen) emit(name string, ms int64, props map[string]any) {
	if u.full() {
		return
	}
	ms = min(max(ms, u.startMs), u.endMs-1)
	u.out[u.n] = record.Event{UserID: u.uid, Name: name, Time: time.UnixMilli(ms).UTC(), Properties: props}
	u.n++
	u.minMs, u.maxMs = min(u.minMs, ms), max(u.maxMs, ms)
}

func (u *userGen) chance(percent int) bool { return u.r.IntN(100) < percent }

// user makes user i and fills out with its events.
func (g *generator) user(i int, p userPlan, out []record.Event) record.User {
	r := rand.New(rand.NewPCG(g.cfg.Seed^0x5e9d0000, uint64(i)))
	u := &userGen{generator: g, r: r, out: out, minMs: math.MaxInt64, maxMs: math.MinInt64}
	id := strconv.Itoa(i)
	for len(id) < g.idWidth {
		id = "0" + id
	}
	u.uid = "u" + id

	signup := p.signup
	attrs := u.attributes(i, signup)
	u.luxury = r.IntN(10) == 0
	u.buyPct = 5 + r.IntN(66)
	u.recentPml = 100 + r.IntN(300)
	if p.shopper {
		u.luxury, u.buyPct, u.recentPml, u.member, u.daily = true, 40, 800, 1, true
		attrs["member"] = true
	}

	if len(out) > 0 && r.IntN(10) > 0 {
		u.emit("signup", signup, map[string]any{"source": sources[r.IntN(len(sources))]})
		if r.IntN(20) == 0 { // a $meta at the very instant of sign-up
			u.meta(signup)
		}
	}
	for !u.full() {
		u.session(signup)
	}

	usr := record.User{UserID: u.uid, Attributes: attrs}
	if u.n > 0 {
		usr.FirstSeen = time.UnixMilli(u.minMs).UTC()
		usr.LastSeen = time.UnixMilli(u.maxMs).UTC()
	} else {
		usr.FirstSeen = time.UnixMilli(signup).UTC()
		usr.LastSeen = usr.FirstSeen
	}
	return usr
}

// attributes makes a profile; every attribute is sometimes missing and
// most are sometimes null.
func (u *userGen) attributes(i int, signup int64) map[string]any {
	r := u.r
	a := make(map[string]any, 12)
	// missing: 0 = present, 1 = missing, 2 = null
	absent := func(missing, null int) int {
		x := r.IntN(100)
		switch {
		case x < missing:
			return 1
		case x < missing+null:
			return 2
		}
		return 0
	}
	set := func(key string, how int, v any) {
		switch how {
		case 0:
			a[key] = v
		case 2:
			a[key] = nil
		}
	}

	x := r.IntN(countryWeight)
	c := 0
	for x >= countries[c].weight {
		x -= countries[c].weight
		c++
	}
	country := countries[c]
	set("country", absent(3, 2), country.code)
	if u.zones != nil {
		u.zone = u.zones[c]
		a["timezone"] = country.zone
	}

	u.planIdx = weighted(r, 60, 25, 15)
	set("plan", absent(4, 0), plans[u.planIdx])

	switch how := absent(5, 2); {
	case how == 0 && r.IntN(50) == 0:
		a["age"] = strconv.Itoa(16 + r.IntN(64)) // a number given as a string
	default:
		set("age", how, float64(16+r.IntN(64)))
	}

	member := r.IntN(100) < 35
	if member {
		u.member = 1
	}
	set("member", absent(4, 0), member)

	switch x := r.IntN(10); {
	case x < 5: // missing
	case x < 6:
		a["vip"] = nil
	default:
		a["vip"] = x == 6
	}

	switch x := r.IntN(100); {
	case x < 10: // no address
	case x < 12:
		a["address"] = nil
	case x < 15:
		a["address"] = map[string]any{"zip": strconv.Itoa(10000 + r.IntN(90000))}
	case x < 17:
		a["address"] = map[string]any{"city": nil}
	default:
		a["address"] = map[string]any{"city": country.cities[r.IntN(len(country.cities))]}
	}

	if r.IntN(100) >= 3 {
		domain := "example.com"
		if country.code == "JP" {
			domain = "mail.example.jp"
		}
		email := "user" + strconv.Itoa(i) + "@" + domain
		if r.IntN(20) == 0 {
			email = "User.Name+" + strconv.Itoa(i) + "@Example.COM"
		}
		a["email"] = email
	}

	// signup_at: an RFC 3339 string, mostly in UTC, sometimes with a
	// fraction or the country's offset, rarely not a time at all.
	t := time.UnixMilli(signup).UTC()
	switch x := r.IntN(100); {
	case x < 2: // missing
	case x < 3:
		a["signup_at"] = t.Format(time.DateOnly)
	case x < 13:
		a["signup_at"] = t.Format("2006-01-02T15:04:05.000Z07:00")
	case x < 23:
		a["signup_at"] = t.In(time.FixedZone("", country.offset*3600)).Format(time.RFC3339)
	default:
		a["signup_at"] = t.Truncate(time.Second).Format(time.RFC3339)
	}

	set("score", absent(5, 3), float64(r.IntN(2001))/2)

	if x := r.IntN(100); x < 8 {
		a["nickname"] = oddStrings[r.IntN(len(oddStrings))]
	} else if x < 50 {
		a["nickname"] = nicknames[r.IntN(len(nicknames))]
	}
	set("$locale", absent(10, 0), country.locale)

	u.currency = country.currency
	return a
}

// weighted picks an index with the given weights (percentages).
func weighted(r *rand.Rand, ws ...int) int {
	x := r.IntN(100)
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

// sessionStart picks when a session begins: mostly between sign-up and
// AsOf, often in the last weeks, sometimes right at a window boundary or
// after AsOf.
func (u *userGen) sessionStart(signup int64) int64 {
	r := u.r
	x := r.IntN(1000)
	if x < 50 && len(u.boundaries) > 0 {
		b := u.boundaries[r.IntN(len(u.boundaries))]
		var d int64
		switch y := r.IntN(10); {
		case y < 2:
		case y < 4:
			d = []int64{-1, 1}[r.IntN(2)]
		case y < 7:
			d = r.Int64N(2*3600_000) - 3600_000
		default:
			d = r.Int64N(8*3600_000) - 4*3600_000
		}
		if b+d >= signup {
			return b + d
		}
	}
	if x < 100 && u.endMs > u.asOfMs {
		return u.asOfMs + r.Int64N(u.endMs-u.asOfMs)
	}
	if x < u.recentPml {
		back := int64(r.ExpFloat64() * 10 * 24 * 3600_000)
		if u.daily {
			back = r.Int64N(dailySpan)
		}
		if t := u.asOfMs - back; t >= signup {
			return u.daytime(t, signup)
		}
	}
	return u.daytime(signup+r.Int64N(max(1, u.asOfMs-signup)), signup)
}

// daytime moves a session start to a time drawn from hourShare, for a
// user with a zone: of the same local day, or half the time of the day of
// the user's previous session (people come back to an app the same day).
// A move that would leave [signup, AsOf) is not made.
func (u *userGen) daytime(t, signup int64) int64 {
	if u.zone == nil {
		return t
	}
	const day, hour = 24 * 3600_000, 3600_000
	_, offset := time.UnixMilli(t).In(u.zone).Zone()
	local := t + int64(offset)*1000
	midnight := local - local%day
	if u.lastDay != 0 && u.chance(50) {
		midnight = u.lastDay
	}
	moved := midnight + int64(weighted(u.r, hourShare...))*hour + u.r.Int64N(hour) - int64(offset)*1000
	if moved < signup || moved >= u.asOfMs {
		return t
	}
	u.lastDay = midnight
	return moved
}

// gap is the time between two events of a session; sometimes none.
func (u *userGen) gap(tiePercent int) int64 {
	if u.chance(tiePercent) {
		return 0
	}
	return 1000 + u.r.Int64N(240_000)
}

// session emits one visit: a $session, often a $meta, and unless the
// visit is a glance, item views, some added to the cart, and sometimes a
// purchase of the cart.
func (u *userGen) session(signup int64) {
	r := u.r
	t := u.sessionStart(signup)
	props := map[string]any{
		"platform":    platforms[r.IntN(len(platforms))],
		"duration_s":  u.durations[r.IntN(len(u.durations))],
		"app-version": versions[r.IntN(len(versions))],
	}
	if r.IntN(50) == 0 {
		props["platform"] = nil
	}
	u.emit("$session", t, props)
	if r.IntN(2) == 0 {
		t += u.gap(20)
		u.meta(t)
	}
	if r.IntN(10) < 3 { // a glance: the app opened and closed
		return
	}
	var cart []*item
	views := 1
	for views < 12 && r.IntN(100) < 60 {
		views++
	}
	for range views {
		if u.full() {
			return
		}
		it := &u.catalog[int(float64(len(u.catalog))*math.Pow(r.Float64(), 2))]
		if u.luxury && r.IntN(10) > 0 {
			it = &u.catalog[u.dear[r.IntN(len(u.dear))]]
		}
		t += u.gap(3)
		v := map[string]any{"item_id": it.id, "category": it.category, "price": it.price}
		switch r.IntN(50) {
		case 0:
			v["category"] = nil
		case 1:
			delete(v, "price")
		case 2:
			v["query"] = queries[r.IntN(len(queries))]
		}
		u.emit("view_item", t, v)
		if r.IntN(10) < 3 {
			t += u.gap(6) // equal times: a funnel must not advance
			u.emit("add_to_cart", t, map[string]any{"item_id": it.id, "price": it.price})
			cart = append(cart, it)
		}
	}
	buyPct := u.buyPct
	if u.daily && t > u.asOfMs-dailySpan {
		buyPct = 2 // lately, a window shopper mostly looks
	}
	if len(cart) > 0 && r.IntN(100) < buyPct {
		t += u.gap(5)
		u.buy(t, cart)
		if r.IntN(30) == 0 { // a second purchase at the same instant
			u.buy(t, cart[:1])
		}
	}
}

// meta emits a $meta event, sometimes a pair at one instant that
// disagree, so that first/last must break the tie by event_id.
func (u *userGen) meta(t int64) {
	r := u.r
	if r.IntN(20) == 0 {
		u.member ^= 1
	}
	if r.IntN(20) == 0 {
		u.planIdx = r.IntN(len(plans))
	}
	props := map[string]any{"isMember": u.zeroOne[u.member], "plan": plans[u.planIdx]}
	switch r.IntN(100) {
	case 0:
		props["isMember"] = nil
	case 1:
		props["isMember"] = strconv.Itoa(u.member) // type mismatch: never a number
	}
	u.emit("$meta", t, props)
	if r.IntN(100) < 8 {
		u.emit("$meta", t, map[string]any{"isMember": u.zeroOne[1-u.member], "plan": plans[u.planIdx]})
	}
}

// buy emits a purchase of the cart, with the odd shapes of real data: a
// null element, an element without price, a price as a string, and rarely
// no items at all.
func (u *userGen) buy(t int64, cart []*item) {
	r := u.r
	items := make([]any, 0, len(cart)+1)
	total := 0.0
	for _, it := range cart {
		el := map[string]any{"item_id": it.id, "price": it.price, "category": it.category, "weight": it.weight}
		switch r.IntN(40) {
		case 0:
			delete(el, "price")
		case 1:
			el["price"] = it.priceText
		default:
			total += it.priceNum
		}
		items = append(items, el)
	}
	if r.IntN(30) == 0 {
		items = append(items, nil)
	}
	props := map[string]any{"items": items, "total": total, "currency": u.currency}
	switch r.IntN(100) {
	case 0:
		props["items"] = []any{}
		props["total"] = 0.0
	case 1:
		delete(props, "items")
	}
	switch x := r.IntN(100); {
	case x < 5:
		props["coupon"] = nil
	case x < 35:
		props["coupon"] = coupons[r.IntN(len(coupons))]
	}
	u.emit("$buy", t, props)
}
