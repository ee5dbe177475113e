package compile

// Sources are an app's events and users as a segment query of dialect d
// reads them, with opt's split (history, the fresh store's partitions, late
// events less those already read) or the plain tables: each a relation to
// name after FROM, with its parameters. Operations' statements that read
// the app's data as queries do (the data dictionary) embed them with
// {{source .X}}. Without a split a source is the whole table: the
// statement filters the app itself (it may with a split too: every row of
// a split source is the app's).
func Sources(d *Dialect, opt Options, tables Tables) (events, users *SQL, err error) {
	pl := newPlan(&opt)
	if events, err = d.substitute("\x00events\x00", pl, tables); err != nil {
		return nil, nil, err
	}
	if users, err = d.substitute("\x00users\x00", pl, tables); err != nil {
		return nil, nil, err
	}
	return events, users, nil
}
