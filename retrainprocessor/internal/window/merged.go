package window // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"

import "slices"

// merged keeps the explicit-bucket counts of the slots of the last summarized window added up,
// so the next summary adds only the slots that entered the window and takes out those that left,
// instead of adding every slot's buckets again: with many slots (window 1h, evaluation every
// minute) that was most of a tick's cost. Points that land in a slot inside the kept range, and
// slots recycled while inside it, update the total as they happen.
type merged struct {
	counts      []uint64
	first, last int64 // epochs [first, last) whose slots counts holds
	ok          bool
}

func (m *merged) holds(epoch int64) bool {
	return m.ok && epoch >= m.first && epoch < m.last
}

// addInto adds src into dst, which is at least as long.
func addInto(dst, src []uint64) {
	dst = dst[:len(src)]
	for i, c := range src {
		dst[i] += c
	}
}

// subtractFrom takes src out of dst, which is at least as long.
func subtractFrom(dst, src []uint64) {
	dst = dst[:len(src)]
	for i, c := range src {
		dst[i] -= c
	}
}

// noteAdded keeps the total when counts were added to s.
func (w *Window) noteAdded(s *slot, counts []uint64) {
	if w.merged.holds(s.tag-1) && len(counts) == len(w.merged.counts) {
		addInto(w.merged.counts, counts)
	}
}

// noteRecycled takes s's counts out of the total before s is reset for another epoch.
func (w *Window) noteRecycled(s *slot) {
	if s.tag != 0 && w.merged.holds(s.tag-1) && len(s.explicit) == len(w.merged.counts) {
		subtractFrom(w.merged.counts, s.explicit)
	}
}

// mergedExplicit returns the explicit counts of the slots with epochs in [first, last).
func (w *Window) mergedExplicit(first, last int64) []uint64 {
	m := &w.merged
	n := int64(len(w.slots))
	width := len(w.bounds) + 1
	if !m.ok || len(m.counts) != width || first < m.first || last < m.last || first < 0 ||
		first-m.first > n || last-m.last > n {
		// Start over from the slots: the first summary, a new layout, time going backwards, or
		// a jump past the whole ring.
		m.counts = slices.Grow(m.counts[:0], width)[:width]
		clear(m.counts)
		for i := range w.slots {
			s := &w.slots[i]
			if e := s.tag - 1; s.tag != 0 && e >= first && e < last && len(s.explicit) == width {
				addInto(m.counts, s.explicit)
			}
		}
		m.first, m.last, m.ok = first, last, true
		return m.counts
	}
	for e := m.first; e < min(first, m.last); e++ { // left the window; recycled ones already left
		if s := &w.slots[e%n]; s.tag == e+1 && len(s.explicit) == width {
			subtractFrom(m.counts, s.explicit)
		}
	}
	for e := max(m.last, first); e < last; e++ { // entered it
		if s := &w.slots[e%n]; s.tag == e+1 && len(s.explicit) == width {
			addInto(m.counts, s.explicit)
		}
	}
	m.first, m.last = first, last
	return m.counts
}
