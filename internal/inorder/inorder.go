// Package inorder runs a DoFn's per-element work on several goroutines
// within one bundle and hands the results back in input order, on the
// goroutine that called it.
//
// It exists for the local runner: Prism runs a batch stage's pending
// elements as one bundle, so a stage whose work is all in one DoFn (reading
// and parsing files) uses one core however many the machine has. A Pool
// takes that work off the bundle's goroutine, which is left with emitting,
// and therefore with the fused steps downstream.
//
// Emitting element i's results while element j > i is processed is right
// only when every element of the bundle has the same window and timestamp,
// as a batch read's records in the global window do: a DoFn emits with the
// current element's. Streaming bundles, where they differ, must not use it.
package inorder

import "sync"

// Pool runs work on Workers goroutines in chunks of Chunk elements. Add and
// Flush must be called from one goroutine (the bundle's); work must be safe
// to call concurrently.
type Pool[In, Out any] struct {
	work    func(In) Out
	chunk   int
	pending []In
	// inflight are the submitted chunks, oldest first; at most
	// chunksPerWorker×workers.
	inflight []*batch[In, Out]
	jobs     chan *batch[In, Out]
	workers  sync.WaitGroup
	limit    int
}

type batch[In, Out any] struct {
	in   []In
	out  []Out
	done chan struct{}
}

// chunksPerWorker bounds the chunks in flight, per worker. Add blocks on
// the oldest chunk once the bound is reached, and while it waits the
// workers run dry: the bundle's goroutine, which feeds them, is the one
// waiting. At 2 per worker, a 3-second execution trace of the 1M-record
// bench's read stage (December 6) showed the bundle's goroutine running
// 55% of the time and blocked mostly on the encoding pool's oldest batch,
// with the stage at 179% of 2 cores; at 8, 189%. The same data, eight
// alternating pairs: the whole run faster in 7 of 8 (medians 29.3 against
// 30.9 s); the read phase, in the four pairs that timed it, 14.0-15.0 s
// against 14.6-16.2 s. A chunk in flight is at most a few hundred records,
// so the bound still keeps a bundle's memory small.
const chunksPerWorker = 8

// New starts a Pool of workers goroutines (at least 1) calling work on
// chunks of chunk elements (at least 1). Close stops them.
func New[In, Out any](workers, chunk int, work func(In) Out) *Pool[In, Out] {
	workers, chunk = max(workers, 1), max(chunk, 1)
	limit := chunksPerWorker * workers
	p := &Pool[In, Out]{work: work, chunk: chunk, limit: limit, jobs: make(chan *batch[In, Out], limit)}
	p.workers.Add(workers)
	for range workers {
		go func() {
			defer p.workers.Done()
			for b := range p.jobs {
				b.out = make([]Out, len(b.in))
				for i, in := range b.in {
					b.out[i] = p.work(in)
				}
				close(b.done)
			}
		}()
	}
	return p
}

// Add queues in, then passes to emit, in input order, the results of every
// chunk already done; it blocks while chunksPerWorker×workers chunks are in
// flight.
func (p *Pool[In, Out]) Add(in In, emit func(Out)) {
	p.pending = append(p.pending, in)
	if len(p.pending) < p.chunk {
		return
	}
	p.submit()
	for len(p.inflight) > 0 {
		head := p.inflight[0]
		if len(p.inflight) <= p.limit {
			select {
			case <-head.done:
			default:
				return
			}
		}
		p.emitHead(emit)
	}
}

// Flush passes every remaining result to emit, in input order.
func (p *Pool[In, Out]) Flush(emit func(Out)) {
	if len(p.pending) > 0 {
		p.submit()
	}
	for len(p.inflight) > 0 {
		p.emitHead(emit)
	}
}

// Close stops the workers; call it after Flush.
func (p *Pool[In, Out]) Close() {
	close(p.jobs)
	p.workers.Wait()
}

func (p *Pool[In, Out]) submit() {
	b := &batch[In, Out]{in: p.pending, done: make(chan struct{})}
	p.pending = make([]In, 0, p.chunk)
	p.inflight = append(p.inflight, b)
	p.jobs <- b
}

// emitHead waits for the oldest chunk and emits its results.
func (p *Pool[In, Out]) emitHead(emit func(Out)) {
	head := p.inflight[0]
	<-head.done
	p.inflight = p.inflight[1:]
	for _, out := range head.out {
		emit(out)
	}
}
