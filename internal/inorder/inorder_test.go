package inorder

import (
	"runtime"
	"testing"
)

// Results come back in input order, all of them, whatever the workers,
// the chunk size and the order in which the chunks finish.
func TestPoolKeepsInputOrder(t *testing.T) {
	for _, tc := range []struct{ workers, chunk, n int }{
		{1, 1, 10}, {2, 3, 100}, {4, 16, 1000}, {3, 256, 7}, {0, 0, 5},
	} {
		square := func(i int) int {
			if i%7 == 0 {
				runtime.Gosched() // let later chunks finish first
			}
			return i * i
		}
		p := New(tc.workers, tc.chunk, square)
		var got []int
		emit := func(v int) { got = append(got, v) }
		for i := range tc.n {
			p.Add(i, emit)
		}
		p.Flush(emit)
		p.Close()
		if len(got) != tc.n {
			t.Fatalf("%+v: %d results, want %d", tc, len(got), tc.n)
		}
		for i, v := range got {
			if v != i*i {
				t.Fatalf("%+v: result %d is %d, want %d", tc, i, v, i*i)
			}
		}
	}
}

// Add emits what is done without waiting for Flush once enough chunks
// are in flight, so a bundle's memory stays bounded.
func TestPoolBoundsWhatItHolds(t *testing.T) {
	p := New(1, 1, func(i int) int { return i })
	defer p.Close()
	emitted := 0
	for i := range 100 {
		p.Add(i, func(int) { emitted++ })
		if held := i + 1 - emitted; held > chunksPerWorker {
			t.Fatalf("after %d adds the pool holds %d elements, want at most %d", i+1, held, chunksPerWorker)
		}
	}
	p.Flush(func(int) { emitted++ })
	if emitted != 100 {
		t.Errorf("%d emitted, want 100", emitted)
	}
}
