package schemas

import "testing"

// TestRecordInputRecords counts a beacon's elements and 1 for anything else.
func TestRecordInputRecords(t *testing.T) {
	tests := []struct {
		data string
		want int
	}{
		{`{"event_id":"a"}`, 1},
		{`{"events":[{"a":1},{"b":2},3]}`, 3},
		{`{"events":[]}`, 1},
		{`{"events":"x"}`, 1},
		{`{"events":[{"a":1}`, 1},
		{`[1,2,3]`, 1},
		{`garbage`, 1},
	}
	for _, tt := range tests {
		if got := (Record{Data: []byte(tt.data)}).InputRecords(); got != tt.want {
			t.Errorf("InputRecords of %s = %d, want %d", tt.data, got, tt.want)
		}
	}
	if got := (Record{ReadError: ReasonCorruptGzip, Data: []byte(`{"events":[1,2]}`)}).InputRecords(); got != 1 {
		t.Errorf("a read error counts %d records, want 1", got)
	}
}
