package schemas

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/klauspost/compress/zstd"
	"github.com/tinylib/msgp/msgp"
	"github.com/vmihailenco/msgpack/v5"
)

// compact marks the types that cross shuffles as MessagePack (with one-letter
// keys on the hot types) instead of Beam's reflective schema coder, which
// cannot encode time.Time and costs more per element.
type compact interface{ compact() }

func (Record) compact()         {}
func (Event) compact()          {}
func (BotEvent) compact()       {}
func (DeadLetter) compact()     {}
func (Session) compact()        {}
func (Delivery) compact()       {}
func (Reconciliation) compact() {}

func init() {
	// Registering the concrete types lets a worker rebuild them by name:
	// otherwise Prism may hand the coder an anonymous struct of the same
	// shape, which does not implement compact.
	for _, t := range []reflect.Type{
		reflect.TypeFor[Record](), reflect.TypeFor[Event](),
		reflect.TypeFor[BotEvent](), reflect.TypeFor[DeadLetter](), reflect.TypeFor[Session](),
		reflect.TypeFor[Delivery](), reflect.TypeFor[Reconciliation](),
	} {
		beam.RegisterType(t)
	}
	beam.RegisterCoder(reflect.TypeFor[compact](), encodeCompact, decodeCompact)
}

func encodeCompact(t reflect.Type, v compact) ([]byte, error) {
	b, err := msgpack.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %v: %w", t, err)
	}
	return b, nil
}

// Batches of events, the bulk of a batch run's shuffle, cross it as bytes
// that EncodeBatch writes and DecodeBatch reads, so that the step that
// batches events can encode them off the bundle's goroutine. They are coded
// by code that tinylib/msgp generates (rows_msgp.go) rather than by
// reflection, which cost more than half of their coding time, each struct
// as an array of its fields in order (msgp's tuple directive) rather than a
// map keyed by its tags: on 64,000 events of the bench data's fact_events,
// decoding 323-345k -> 424-497k events/s, encoding 324-350k -> 348-386k,
// and 130 -> 123 compressed bytes per event (December 6). Both ends of a
// shuffle run the same binary, so the order needs no version. They are
// compressed: a device group's events repeat user agents, URLs and
// sources, and the local runner holds every shuffled byte in memory,
// several times over. zstd's fastest level cuts a batch about fivefold for
// ~1 µs per event. Both are safe for concurrent use.
var (
	zstdEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	zstdDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
)

//go:generate go run github.com/tinylib/msgp@v1.6.5 -file rows.go -o rows_msgp.go -io=false -tests=false -d "tag msgpack" -d "timezone utc" -d "ignore Record BotEvent DeadLetter Session CurrencyRevenue Reconciliation Delivered" -d "tuple Event Item Delivery EventBatch"
//go:generate sh -c "sed 's/msgp\\.ReadStringBytes(bts)/readAliased(bts)/' rows_msgp.go > rows_msgp.go.tmp && mv rows_msgp.go.tmp rows_msgp.go"

// rawBatches holds a batch's uncompressed MessagePack between coding and
// compression, so that each batch does not allocate its own; the
// compressed bytes do not refer to it.
var rawBatches = sync.Pool{New: func() any { return new([]byte) }}

// EncodeBatch encodes b for a shuffle: MessagePack, zstd-compressed.
func EncodeBatch(b EventBatch) ([]byte, error) {
	buf := rawBatches.Get().(*[]byte)
	defer rawBatches.Put(buf)
	raw, err := b.MarshalMsg((*buf)[:0])
	if err != nil {
		return nil, fmt.Errorf("encode event batch: %w", err)
	}
	*buf = raw
	return zstdEncoder.EncodeAll(raw, make([]byte, 0, len(raw)/4)), nil
}

// DecodeBatch decodes what EncodeBatch encoded. The strings of its events
// are views of one buffer, the batch's decompressed bytes, which nothing
// writes to once they are decoded (see readAliased).
func DecodeBatch(data []byte) (EventBatch, error) {
	var b EventBatch
	raw, err := zstdDecoder.DecodeAll(data, nil) // a buffer of the batch's own
	if err != nil {
		return b, fmt.Errorf("decode event batch: %w", err)
	}
	if _, err := b.UnmarshalMsg(raw); err != nil {
		return b, fmt.Errorf("decode event batch: %w", err)
	}
	return b, nil
}

// readAliased is msgp.ReadStringBytes without the copy: the string it
// returns shares b's bytes. The generated decoders of rows_msgp.go call it
// (go generate rewrites their calls), so each string of a decoded batch is
// a view of the batch's buffer rather than an allocation of its own: on
// 64,000 events of the bench data, 28 allocations per event fewer and
// decoding 432-465k -> 563-611k events/s (December 6). Only DecodeBatch
// calls those decoders, and only on a buffer that nothing writes to.
func readAliased(b []byte) (string, []byte, error) {
	v, rest, err := msgp.ReadStringZC(b)
	return unsafe.String(unsafe.SliceData(v), len(v)), rest, err
}

func decodeCompact(t reflect.Type, b []byte) (compact, error) {
	v := reflect.New(t)
	if err := msgpack.Unmarshal(b, v.Interface()); err != nil {
		return nil, fmt.Errorf("decode %v: %w", t, err)
	}
	return v.Elem().Interface().(compact), nil
}
