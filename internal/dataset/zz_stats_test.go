package dataset

import (
	"fmt"
	"slices"
	"testing"
)

func TestZZStats(t *testing.T) {
	d := Generate(testCfg)
	names := map[string]int{}
	for _, e := range d.Events {
		names[e.Name]++
	}
	fmt.Println(names)
	by := d.EventsByUser()
	var counts []int
	for _, u := range d.Users {
		counts = append(counts, len(by[u.UserID]))
	}
	slices.Sort(counts)
	zero := 0
	for _, c := range counts {
		if c == 0 {
			zero++
		}
	}
	n := len(counts)
	fmt.Println("zero", zero, "p25", counts[n/4], "median", counts[n/2], "p90", counts[n*9/10], "p99", counts[n*99/100], "max", counts[n-1])
	after := 0
	for _, e := range d.Events {
		if e.Time.After(testCfg.AsOf) {
			after++
		}
	}
	fmt.Println("after", after)
	for _, u := range d.Users[:5] {
		fmt.Printf("%s %v %v %v\n", u.UserID, u.FirstSeen, u.LastSeen, u.Attributes)
	}
	for _, e := range d.Events[len(d.Events)/2 : len(d.Events)/2+8] {
		fmt.Printf("%s %s %s %v %v\n", e.EventID, e.UserID, e.Name, e.Time, e.Properties)
	}
}
