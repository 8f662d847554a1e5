package erasure

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/schemas"
)

// Filed is an erasure request as filed (one JSON object per line of a
// requests file): a person by UserID, or a device by DeviceID.
type Filed struct {
	RequestID  string    `json:"request_id"`
	UserID     string    `json:"user_id,omitempty"`
	DeviceID   string    `json:"device_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

// ReadFiled reads a requests file: one Filed per line.
func ReadFiled(r io.Reader) ([]Filed, error) {
	var out []Filed
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		var f Filed
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return nil, fmt.Errorf("erasure: request line %d: %w", n, err)
		}
		out = append(out, f)
	}
	return out, sc.Err()
}

// Hash turns filed requests into rows of erasure_requests: a user_id is
// hashed with every key version in keys (those still in retention, so
// every user_key the person's rows may carry) and dropped. A request must
// name exactly one of a user_id and a device_id, and have an id.
func Hash(filed []Filed, keys []*pseudonym.Pseudonymizer) ([]schemas.ErasureRequest, error) {
	out := make([]schemas.ErasureRequest, 0, len(filed))
	for _, f := range filed {
		if f.RequestID == "" || (f.UserID == "") == (f.DeviceID == "") {
			return nil, fmt.Errorf("erasure: request %q: want a request_id and exactly one of user_id and device_id", f.RequestID)
		}
		r := schemas.ErasureRequest{RequestID: f.RequestID, ReceivedAt: f.ReceivedAt.UTC(), DeviceID: f.DeviceID}
		if f.UserID != "" {
			for _, k := range keys {
				r.UserKeys = append(r.UserKeys, k.UserKey(f.UserID))
			}
		}
		out = append(out, r)
	}
	return out, nil
}
