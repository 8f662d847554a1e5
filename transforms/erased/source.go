package erased

import (
	"context"
	"errors"
	"fmt"
	"os"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// BigQueryRequests is the Source.Requests that reads the erasure_requests
// table of Source.Dataset on BigQuery.
const BigQueryRequests = "bigquery"

// Source says where the erasure requests are. It is a DoFn field: every
// field is serialized into the job graph (no key, only where it is).
type Source struct {
	// Requests is where the requests are: empty for none; BigQueryRequests
	// for the erasure_requests table on BigQuery; a local warehouse
	// directory for its erasure_requests table (filed by tools/erase, each
	// user_id hashed with every key version in retention); or a requests
	// file (JSON lines, erasure.ReadFiled), whose user_ids are hashed with
	// HashKeyRef (erasure.Hash), the key the run hashes user_ids with.
	Requests string
	// HashKeyRef is the run's pseudonymization key reference (requests
	// files only).
	HashKeyRef string
	// Project, Dataset and Endpoint (tests' fake server) name the BigQuery
	// dataset, for BigQueryRequests.
	Project, Dataset, Endpoint string
}

// Load reads the requests and returns their erased keys: every user_key
// and device id they name.
func (src Source) Load(ctx context.Context) ([]string, error) {
	rows, err := src.requests(ctx)
	if err != nil {
		return nil, fmt.Errorf("erased: requests %s: %w", src.Requests, err)
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
func (src Source) requests(ctx context.Context) ([]schemas.ErasureRequest, error) {
	if src.Requests == "" {
		return nil, nil
	}
	if src.Requests == BigQueryRequests {
		return src.readBigQuery(ctx)
	}
	info, err := os.Stat(src.Requests)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return warehouse.ReadRows[schemas.ErasureRequest](src.Requests, "erasure_requests", nil)
	}
	f, err := os.Open(src.Requests)
	if err != nil {
		return nil, err
	}
	filed, err := erasure.ReadFiled(f)
	_ = f.Close() // a read: errors surface in ReadFiled
	if err != nil {
		return nil, err
	}
	key, err := pseudonym.LoadKey(src.HashKeyRef)
	if err != nil {
		return nil, err
	}
	p, err := pseudonym.New(key, pseudonym.IPMode("truncate"))
	if err != nil {
		return nil, err
	}
	return erasure.Hash(filed, []*pseudonym.Pseudonymizer{p})
}

// bqRequest is what Load needs of a row of erasure_requests on BigQuery.
type bqRequest struct {
	UserKeys []string            `bigquery:"user_keys"`
	DeviceID bigquery.NullString `bigquery:"device_id"`
}

// readBigQuery reads the erasure_requests table of the dataset.
func (src Source) readBigQuery(ctx context.Context) ([]schemas.ErasureRequest, error) {
	client, err := bqwarehouse.NewClient(ctx, src.Project, src.Dataset, src.Endpoint)
	if err != nil {
		return nil, err
	}
	defer func() { _ = client.Close() }() // a read: nothing to flush
	it := client.Dataset(src.Dataset).Table("erasure_requests").Read(ctx)
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
