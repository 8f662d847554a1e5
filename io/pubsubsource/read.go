package pubsubsource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"sync/atomic"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn5x2[context.Context, *watermarkEstimator, *sdf.LockRTracker, []byte,
		func(beam.EventTime, schemas.Record), sdf.ProcessContinuation, error](&readFn{})
	register.Emitter2[beam.EventTime, schemas.Record]()
	beam.RegisterType(reflect.TypeOf((*watermarkState)(nil)).Elem())
}

const (
	// resumeDelay is how long the reader waits after an empty pull.
	resumeDelay = time.Second
	// pullTimeout bounds one Pull; a pull that times out counts as empty.
	pullTimeout = 10 * time.Second
	// bundleDuration is how long one call of the reader keeps pulling full
	// batches before it checkpoints, so that its output and watermark move
	// downstream (Prism passes a bundle's output on when the bundle ends).
	// Only a backlog keeps it pulling that long (a short pull ends the
	// bundle at once), and there longer bundles pay Prism's fixed cost per
	// bundle less often: make bench-streaming (a day's backlog, December
	// 6) 297-361 records/s with 5 s against 209-223 with 1 s, and 299 with
	// 15 s; on slower machines (December 7, four alternating pairs)
	// 106-122 against 129-162, so the gain depends on the machine (see the
	// README's Performance).
	bundleDuration = 5 * time.Second
)

// processingTime is the clock the reader's watermark follows and its leases
// start on; tests replace it to make idleness happen without waiting.
var processingTime = time.Now

// Read reads the subscription of o and returns an unbounded
// PCollection<schemas.Record>, one record per message (Source
// "pubsub:<subscription id>", Line 0, Arrived the publish time, the
// message's Attributes and AckID, Watermark the reader's watermark when it
// emitted the record). Elements are timestamped with o.TimestampAttribute
// when set and valid, else with the publish time.
//
// Off Dataflow nothing is acknowledged here: pass the rows' deliveries to
// Acknowledge. With o.Native, Beam's pubsubio reads instead (Dataflow only;
// AckID and Watermark are empty). Bad options panic.
func Read(s beam.Scope, o ReadOptions) beam.PCollection {
	s = s.Scope("pubsub.Read")
	o = o.withDefaults()
	if o.Native {
		return readNative(s, o)
	}
	return beam.ParDo(s, &readFn{Options: o, Run: uuid.NewString()}, beam.Impulse(s))
}

// readFn is a splittable DoFn pulling the subscription: its restriction
// counts the messages read ([0, MaxMessages) or growable), its watermark
// estimator follows the event times (see watermark.go).
type readFn struct {
	// Options are the read's options, defaults applied.
	Options ReadOptions
	// Run identifies this pipeline run to the process's lease keeper.
	Run string

	client *pubsub.Client
	keeper *leaseKeeper
	// next and lastPulled feed the end estimator of the growable range.
	next, lastPulled atomic.Int64

	records                                           recordMaker
	pulls, emptyPulls, leaseExtensions, leasesExpired beam.Counter
}

func (fn *readFn) Setup(ctx context.Context) error {
	c, err := newClient(ctx, fn.Options.Project, fn.Options.Endpoint)
	if err != nil {
		return err
	}
	fn.client = c
	fn.keeper = keeperFor(fn.Options)
	fn.records = newRecordMaker()
	fn.pulls = beam.NewCounter("pubsub", "pulls")
	fn.emptyPulls = beam.NewCounter("pubsub", "empty_pulls")
	fn.leaseExtensions, fn.leasesExpired = leaseCounters()
	return nil
}

func (fn *readFn) Teardown() error {
	if fn.client == nil {
		return nil
	}
	return fn.client.Close()
}

func (fn *readFn) CreateInitialRestriction(_ []byte) offsetrange.Restriction {
	if fn.Options.MaxMessages > 0 {
		return offsetrange.Restriction{Start: 0, End: fn.Options.MaxMessages}
	}
	return offsetrange.Restriction{Start: 0, End: math.MaxInt64}
}

func (fn *readFn) SplitRestriction(_ []byte, rest offsetrange.Restriction) []offsetrange.Restriction {
	return []offsetrange.Restriction{rest}
}

func (fn *readFn) RestrictionSize(_ []byte, rest offsetrange.Restriction) (float64, error) {
	rt, err := fn.newTracker(rest)
	if err != nil {
		return 0, err
	}
	_, remaining := rt.GetProgress()
	return remaining, nil
}

func (fn *readFn) CreateTracker(rest offsetrange.Restriction) (*sdf.LockRTracker, error) {
	rt, err := fn.newTracker(rest)
	if err != nil {
		return nil, err
	}
	return sdf.NewLockRTracker(rt), nil
}

func (fn *readFn) newTracker(rest offsetrange.Restriction) (sdf.RTracker, error) {
	if rest.End < math.MaxInt64 {
		return offsetrange.NewTracker(rest), nil
	}
	rt, err := offsetrange.NewGrowableTracker(rest, endEstimator{fn})
	if err != nil {
		return nil, fmt.Errorf("growable tracker: %w", err)
	}
	return rt, nil
}

// TruncateRestriction ends the read on drain.
func (fn *readFn) TruncateRestriction(rt *sdf.LockRTracker, _ []byte) offsetrange.Restriction {
	start := rt.GetRestriction().(offsetrange.Restriction).Start
	return offsetrange.Restriction{Start: start, End: start}
}

func (fn *readFn) InitialWatermarkEstimatorState(et beam.EventTime, _ offsetrange.Restriction, _ []byte) watermarkState {
	st := watermarkState{Watermark: et.Milliseconds()}
	if fn.Options.MaxDuration > 0 {
		st.Deadline = time.Now().Add(fn.Options.MaxDuration).UnixMilli()
	}
	return st
}

func (fn *readFn) CreateWatermarkEstimator(st watermarkState) *watermarkEstimator {
	return &watermarkEstimator{state: st}
}

func (fn *readFn) WatermarkEstimatorState(we *watermarkEstimator) watermarkState {
	return we.state
}

func (fn *readFn) ProcessElement(ctx context.Context, we *watermarkEstimator, rt *sdf.LockRTracker, _ []byte,
	emit func(beam.EventTime, schemas.Record)) (sdf.ProcessContinuation, error) {
	defer fn.reportLeases(ctx)
	if err := fn.keeper.begin(ctx, fn.client, fn.Run); err != nil {
		// Only an earlier run's leases are at stake: they lapse on their own.
		slog.Warn("pubsub.Read: giving back an earlier run's leases", "err", err)
	}
	pos := rt.GetRestriction().(offsetrange.Restriction).Start
	started := time.Now()
	// Records carry the watermark the runner holds for the reader: the one
	// restored from the last checkpoint, not what this call observes.
	wm := we.CurrentWatermark()
	for {
		deadline := time.Time{}
		if we.state.Deadline > 0 {
			deadline = time.UnixMilli(we.state.Deadline)
		}
		end := rt.GetRestriction().(offsetrange.Restriction).End
		if pos >= end || (!deadline.IsZero() && !time.Now().Before(deadline)) {
			return fn.stop(rt, we), nil
		}
		fn.next.Store(pos)
		want := min(int64(fn.Options.BatchSize), end-pos)
		msgs, err := fn.pull(ctx, want, deadline)
		if err != nil {
			return nil, err
		}
		now := processingTime()
		fn.pulls.Inc(ctx, 1)
		fn.lastPulled.Store(int64(len(msgs)))
		if len(msgs) == 0 {
			fn.emptyPulls.Inc(ctx, 1)
			we.observeEmpty(now)
			return sdf.ResumeProcessingIn(resumeDelay), nil
		}
		ackIDs := make([]string, len(msgs))
		for i, m := range msgs {
			ackIDs[i] = m.AckId
		}
		// The subscription's own deadline may be shorter than the lease
		// keeper's period: extend on receipt.
		if err := modifyDeadline(ctx, fn.client, fn.Options.Subscription, ackIDs, fn.Options.AckDeadline); err != nil {
			slog.Warn("pubsub.Read: extending leases on receipt", "err", err)
		} else {
			fn.leaseExtensions.Inc(ctx, int64(len(ackIDs)))
		}
		fn.keeper.hold(msgs, now)
		times := make([]time.Time, 0, len(msgs))
		for i, m := range msgs {
			if !rt.TryClaim(pos) {
				// The range was split away meanwhile: the rest is not ours.
				fn.giveBack(ctx, ackIDs[i:])
				if len(times) > 0 {
					we.observePull(times, now)
				}
				return sdf.StopProcessing(), nil
			}
			pos++
			times = append(times, fn.emit(ctx, m, wm, emit))
		}
		we.observePull(times, now)
		// A short pull means the backlog is drained and the next pull may
		// block: end the bundle now so that its records move downstream.
		if int64(len(msgs)) < want || time.Since(started) >= bundleDuration {
			return sdf.ResumeProcessingIn(0), nil
		}
	}
}

// pull asks for up to n messages; a pull that times out returns none.
func (fn *readFn) pull(ctx context.Context, n int64, deadline time.Time) ([]*pubsubpb.ReceivedMessage, error) {
	timeout := pullTimeout
	if !deadline.IsZero() {
		timeout = min(timeout, time.Until(deadline))
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := fn.client.SubscriptionAdminClient.Pull(pctx, &pubsubpb.PullRequest{
		Subscription: fn.Options.Subscription, MaxMessages: int32(n),
	})
	if err != nil {
		// The server may end the pull for its deadline a moment before the
		// client's context expires: both are a pull that timed out.
		if ctx.Err() == nil && (errors.Is(pctx.Err(), context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded) {
			return nil, nil
		}
		return nil, fmt.Errorf("pull %s: %w", fn.Options.Subscription, err)
	}
	return resp.ReceivedMessages, nil
}

// emit converts m into a record, emits it and returns its event time.
func (fn *readFn) emit(ctx context.Context, m *pubsubpb.ReceivedMessage, wm time.Time, emit func(beam.EventTime, schemas.Record)) time.Time {
	pm := m.GetMessage()
	r, et := fn.records.record(ctx, message{Data: pm.GetData(), Attributes: pm.GetAttributes(), Published: pm.GetPublishTime().AsTime()}, fn.Options)
	r.AckID = m.GetAckId()
	r.Watermark = wm
	emit(mtime.FromTime(et), r)
	return et
}

// stop ends the read: the rest of the restriction is dropped and the
// watermark goes to +inf, so every window downstream fires.
func (fn *readFn) stop(rt *sdf.LockRTracker, we *watermarkEstimator) sdf.ProcessContinuation {
	if !rt.IsDone() {
		// Splitting at fraction 0 keeps only what was claimed; the residual
		// is dropped on purpose.
		_, _, _ = rt.TrySplit(0)
	}
	we.finish()
	return sdf.StopProcessing()
}

// giveBack returns messages that will not be emitted to the subscription at
// once (deadline 0), so another reader gets them without waiting.
func (fn *readFn) giveBack(ctx context.Context, ackIDs []string) {
	fn.keeper.release(ackIDs)
	if err := modifyDeadline(ctx, fn.client, fn.Options.Subscription, ackIDs, 0); err != nil {
		slog.Warn("pubsub.Read: giving back messages", "err", err)
	}
}

func (fn *readFn) reportLeases(ctx context.Context) {
	extended, expired := fn.keeper.takeCounts()
	fn.leaseExtensions.Inc(ctx, extended)
	fn.leasesExpired.Inc(ctx, expired)
}

// endEstimator estimates the end of the growable range: Pub/Sub has no
// backlog offset, so the next position plus the size of the last pull.
type endEstimator struct{ fn *readFn }

func (e endEstimator) Estimate() int64 {
	return e.fn.next.Load() + e.fn.lastPulled.Load()
}
