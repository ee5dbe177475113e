package runs

// fairQueue holds the queued runs, one FIFO per app, and chooses which run
// starts next: among the apps with fewer than perApp runs running, the one
// whose last start is the oldest (an app that has not started a run first),
// ties going to the oldest queued run. An app with a hundred queued runs
// therefore alternates with every other app that has work, instead of
// holding it back until its own queue is empty. It is not safe for
// concurrent use (the Scheduler's mutex guards it).
type fairQueue struct {
	perApp int // 0: no cap
	seq    uint64
	apps   map[string]*appQueue
}

type appQueue struct {
	runs      []queuedRun // FIFO
	running   int
	lastStart uint64 // seq of the app's last start; 0: none since it last had no work
}

type queuedRun struct {
	id  string
	seq uint64
}

func newFairQueue(perApp int) *fairQueue {
	return &fairQueue{perApp: perApp, apps: map[string]*appQueue{}}
}

func (q *fairQueue) push(appID, runID string) {
	a := q.apps[appID]
	if a == nil {
		a = &appQueue{}
		q.apps[appID] = a
	}
	q.seq++
	a.runs = append(a.runs, queuedRun{id: runID, seq: q.seq})
}

// pop takes the next run to start and counts it as running in its app
// until done; ok is false when no app may start one.
func (q *fairQueue) pop() (appID, runID string, ok bool) {
	var best *appQueue
	for id, a := range q.apps {
		if len(a.runs) == 0 || (q.perApp > 0 && a.running >= q.perApp) {
			continue
		}
		if best == nil || a.lastStart < best.lastStart || (a.lastStart == best.lastStart && a.runs[0].seq < best.runs[0].seq) {
			best, appID = a, id
		}
	}
	if best == nil {
		return "", "", false
	}
	runID = best.runs[0].id
	best.runs = best.runs[1:]
	best.running++
	q.seq++
	best.lastStart = q.seq
	return appID, runID, true
}

// done ends a run that pop returned. An app without work is forgotten.
func (q *fairQueue) done(appID string) {
	a := q.apps[appID]
	a.running--
	if a.running == 0 && len(a.runs) == 0 {
		delete(q.apps, appID)
	}
}
