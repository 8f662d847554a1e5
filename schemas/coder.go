package schemas

import (
	"fmt"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/vmihailenco/msgpack/v5"
)

// Rows cross shuffles in a compact binary form (MessagePack with one-letter
// keys) instead of Beam's reflective schema coder, which cannot encode
// time.Time and costs more per element.
func init() {
	registerCoder[Event]()
	registerCoder[BotEvent]()
	registerCoder[DeadLetter]()
	registerCoder[Record]()
}

func registerCoder[T any]() {
	beam.RegisterCoder(reflect.TypeFor[T](), encode[T], decode[T])
}

func encode[T any](v T) ([]byte, error) {
	b, err := msgpack.Marshal(&v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b, nil
}

func decode[T any](b []byte) (T, error) {
	var v T
	if err := msgpack.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("decode %T: %w", v, err)
	}
	return v, nil
}
