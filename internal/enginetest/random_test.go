package enginetest

import "testing"

func TestSeeds(t *testing.T) {
	for _, c := range []struct {
		env     string
		first   uint64
		count   int
		wantErr bool
	}{
		{env: "", first: 7, count: 100},
		{env: "42", first: 42, count: 1},
		{env: "42+5", first: 42, count: 5},
		{env: "42+0", wantErr: true},
		{env: "42+x", wantErr: true},
		{env: "abc", wantErr: true},
		{env: "-1", wantErr: true},
	} {
		first, count, err := seeds(c.env, 100, 7)
		if (err != nil) != c.wantErr || err == nil && (first != c.first || count != c.count) {
			t.Errorf("seeds(%q) = %d, %d, %v; want %d, %d, error %v", c.env, first, count, err, c.first, c.count, c.wantErr)
		}
	}
}
