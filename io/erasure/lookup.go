package erasure

import (
	"context"
	"errors"
	"fmt"
	"os"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// OnBigQuery is the Lookup.Requests that reads the erasure_requests table
// of Lookup.Dataset on BigQuery.
const OnBigQuery = "bigquery"

// Lookup says where the erasure requests are, for the pipelines, which drop
// the events of erased people and devices (transforms/erased). It is a
// DoFn field: every field is serialized into the job graph (no key, only
// where it is).
type Lookup struct {
	// Requests is where the requests are: empty for none; OnBigQuery
	// for the erasure_requests table on BigQuery; a local warehouse
	// directory for its erasure_requests table (filed by tools/erase, each
	// user_id hashed with every key version in retention); or a requests
	// file (JSON lines, ReadFiled), whose user_ids are hashed with
	// HashKeyRef (Hash), the key the run hashes user_ids with.
	Requests string
	// HashKeyRef is the run's pseudonymization key reference (requests
	// files only).
	HashKeyRef string
	// Project, Dataset and Endpoint (tests' fake server) name the BigQuery
	// dataset, for OnBigQuery.
	Project, Dataset, Endpoint string
}

// Keys reads the requests and returns their erased keys: every user_key
// and device id they name.
func (l Lookup) Keys(ctx context.Context) ([]string, error) {
	rows, err := l.requests(ctx)
	if err != nil {
		return nil, fmt.Errorf("erasure: requests %s: %w", l.Requests, err)
	}
	var keys []string
	for _, r := range rows {
		keys = append(keys, r.UserKeys...)
		if r.DeviceID != "" {
			keys = append(keys, r.DeviceID)
		}
	}
	return keys, nil
}

// requests reads the rows of erasure_requests, or hashes a requests file
// into them.
func (l Lookup) requests(ctx context.Context) ([]schemas.ErasureRequest, error) {
	if l.Requests == "" {
		return nil, nil
	}
	if l.Requests == OnBigQuery {
		return l.readBigQuery(ctx)
	}
	info, err := os.Stat(l.Requests)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return warehouse.ReadRows[schemas.ErasureRequest](l.Requests, "erasure_requests", nil)
	}
	f, err := os.Open(l.Requests)
	if err != nil {
		return nil, err
	}
	filed, err := ReadFiled(f)
	_ = f.Close() // a read: errors surface in ReadFiled
	if err != nil {
		return nil, err
	}
	key, err := pseudonym.LoadKey(l.HashKeyRef)
	if err != nil {
		return nil, err
	}
	p, err := pseudonym.New(key, pseudonym.IPMode("truncate"))
	if err != nil {
		return nil, err
	}
	return Hash(filed, []*pseudonym.Pseudonymizer{p})
}

// bqRequest is what Keys needs of a row of erasure_requests on BigQuery.
type bqRequest struct {
	UserKeys []string            `bigquery:"user_keys"`
	DeviceID bigquery.NullString `bigquery:"device_id"`
}

// readBigQuery reads the erasure_requests table of the dataset.
func (l Lookup) readBigQuery(ctx context.Context) ([]schemas.ErasureRequest, error) {
	client, err := bqwarehouse.NewClient(ctx, l.Project, l.Dataset, l.Endpoint)
	if err != nil {
		return nil, err
	}
	defer func() { _ = client.Close() }() // a read: nothing to flush
	it := client.Dataset(l.Dataset).Table("erasure_requests").Read(ctx)
	var out []schemas.ErasureRequest
	for {
		var r bqRequest
		err := it.Next(&r)
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, schemas.ErasureRequest{UserKeys: r.UserKeys, DeviceID: r.DeviceID.StringVal})
	}
}
