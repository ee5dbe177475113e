package snapshot

import "context"

// Difference calls fn with every ID of a that b lacks and that is greater
// than after ("": from the first), in ascending order, and stops at the
// first error fn returns, which it returns as is. Both snapshots are
// sorted, so one merge walks them side by side: the memory is one decoded
// chunk of each, whatever their sizes.
func Difference(ctx context.Context, a, b *Reader, after string, fn func(id string) error) error {
	ia, ib := a.Iter(after), b.Iter(after)
	hasB := ib.Next(ctx)
	for ia.Next(ctx) {
		id := ia.ID()
		for hasB && ib.ID() < id {
			hasB = ib.Next(ctx)
		}
		if hasB && ib.ID() == id {
			continue
		}
		if err := ib.Err(); err != nil {
			return err
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	if err := ia.Err(); err != nil {
		return err
	}
	return ib.Err()
}

// DiffCounts counts, in one merge of the two snapshots, the IDs of a that
// b lacks (onlyA) and those of b that a lacks (onlyB), in the memory of
// one decoded chunk of each.
func DiffCounts(ctx context.Context, a, b *Reader) (onlyA, onlyB int64, err error) {
	ia, ib := a.Iter(""), b.Iter("")
	hasA, hasB := ia.Next(ctx), ib.Next(ctx)
	for hasA && hasB {
		switch x, y := ia.ID(), ib.ID(); {
		case x < y:
			onlyA++
			hasA = ia.Next(ctx)
		case x > y:
			onlyB++
			hasB = ib.Next(ctx)
		default:
			hasA, hasB = ia.Next(ctx), ib.Next(ctx)
		}
	}
	for ; hasA; hasA = ia.Next(ctx) {
		onlyA++
	}
	for ; hasB; hasB = ib.Next(ctx) {
		onlyB++
	}
	if err := ia.Err(); err != nil {
		return 0, 0, err
	}
	if err := ib.Err(); err != nil {
		return 0, 0, err
	}
	return onlyA, onlyB, nil
}
