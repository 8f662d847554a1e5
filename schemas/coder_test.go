package schemas

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// An event batch with every field of every event set comes back equal from
// its coder: a field added to Event, Item or Delivery without regenerating
// rows_msgp.go (go generate ./schemas/) fails here instead of vanishing in
// the shuffle.
func TestEventBatchCoderKeepsEveryField(t *testing.T) {
	var e Event
	fill(reflect.ValueOf(&e).Elem(), 1)
	want := EventBatch{Events: []Event{e, {EventID: "only-an-id"}}}

	data, err := EncodeBatch(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed the batch:\n got %+v\nwant %+v", got, want)
	}
}

// The strings of a decoded batch share its buffer (readAliased): decoding
// and encoding other batches afterwards, which reuses the coder's buffers,
// leaves them as they were.
func TestDecodedBatchKeepsItsStrings(t *testing.T) {
	var e Event
	fill(reflect.ValueOf(&e).Elem(), 1)
	want := EventBatch{Events: []Event{e}}
	data, err := EncodeBatch(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 { // smaller batches, which fit any buffer reused
		data, err := EncodeBatch(EventBatch{Events: []Event{{EventID: fmt.Sprint("other-", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeBatch(data); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the batch changed after later batches were coded:\n got %+v\nwant %+v", got, want)
	}
}

// fill sets every field of v, recursively, to a value that differs from
// its zero value and from its neighbours'.
func fill(v reflect.Value, seed int) int {
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Unix(int64(1_700_000_000+seed), int64(seed*1000)).UTC()))
		return seed + 1
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			seed = fill(v.Field(i), seed)
		}
		return seed
	case v.Kind() == reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return fill(v.Elem(), seed)
	case v.Kind() == reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		return fill(v.Index(1), fill(v.Index(0), seed))
	case v.Kind() == reflect.String:
		v.SetString("s" + string(rune('a'+seed%26)) + time.Duration(seed).String())
	case v.CanInt():
		v.SetInt(int64(seed))
	case v.CanFloat():
		v.SetFloat(float64(seed) + 0.25)
	default:
		panic("fill: no value for " + v.Type().String())
	}
	return seed + 1
}
