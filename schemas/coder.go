package schemas

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/klauspost/compress/zstd"
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

// rawBatches holds a batch's uncompressed MessagePack between coding and
// (de)compression, so that each batch does not allocate its own; neither
// the compressed bytes nor a decoded batch refer to it.
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

// DecodeBatch decodes what EncodeBatch encoded.
func DecodeBatch(data []byte) (EventBatch, error) {
	var b EventBatch
	buf := rawBatches.Get().(*[]byte)
	defer rawBatches.Put(buf)
	raw, err := zstdDecoder.DecodeAll(data, (*buf)[:0])
	if err != nil {
		return b, fmt.Errorf("decode event batch: %w", err)
	}
	*buf = raw
	if _, err := b.UnmarshalMsg(raw); err != nil {
		return b, fmt.Errorf("decode event batch: %w", err)
	}
	return b, nil
}

func decodeCompact(t reflect.Type, b []byte) (compact, error) {
	v := reflect.New(t)
	if err := msgpack.Unmarshal(b, v.Interface()); err != nil {
		return nil, fmt.Errorf("decode %v: %w", t, err)
	}
	return v.Elem().Interface().(compact), nil
}
