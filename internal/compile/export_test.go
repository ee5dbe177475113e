package compile

// RenderUncached renders without the cache, for tests that check the cache
// and benchmarks of a first compilation.
func RenderUncached(p *Plan, d *Dialect, tables Tables) (*SQL, error) {
	text, err := d.execute(p.Root)
	if err != nil {
		return nil, err
	}
	return d.substitute(text, p, tables)
}
