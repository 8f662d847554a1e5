package storagewrite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"cloud.google.com/go/bigquery/storage/managedwriter"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn5x0[context.Context, beam.EventTime, beam.X,
		func(beam.EventTime, schemas.Delivery), func(beam.EventTime, Rejected)](&appendFn{})
	register.Emitter2[beam.EventTime, schemas.Delivery]()
	register.Emitter2[beam.EventTime, Rejected]()
}

// Append writes rows to the default stream of table, at least once, batched
// per bundle: rows is a PCollection of the table's row type
// (schemas.Event for fact_events, schemas.BotEvent for bot_events,
// schemas.DeadLetter for dead_letter, schemas.Session for fact_sessions; any
// struct whose parquet-tagged fields are exactly the table's columns).
//
// written is PCollection<schemas.Delivery>: the Delivery field of every row
// BigQuery accepted (the zero Delivery for rows read from files; nothing for
// row types without one, e.g. schemas.Session). rejected is
// PCollection<Rejected>: one per row BigQuery refused, with the fallback
// dead letter that stands for it (reason Reason; see Rejected and
// Fallbacks). Both are emitted when the bundle finishes, in the global
// window, at the timestamp of the row they stand for.
//
// Append panics while the graph is built when the options lack the project
// or dataset, table is unknown, or the rows' type does not match the table.
func Append(s beam.Scope, o Options, table string, rows beam.PCollection) (written, rejected beam.PCollection) {
	s = s.Scope("storagewrite.Append")
	o, err := o.withDefaults()
	if err != nil {
		panic(err)
	}
	rowType := rows.Type().Type()
	if _, err := newRowEncoder(schemas.MustTable(table), rowType); err != nil {
		panic(fmt.Sprintf("storagewrite.Append: %v", err))
	}
	return beam.ParDo2(s, &appendFn{Options: o, Table: table, Type: beam.EncodedType{T: rowType}}, rows)
}

// appendFn appends the rows of a bundle to the table's default stream:
// ProcessElement encodes rows and sends a request whenever a batch is full,
// FinishBundle sends the rest and waits on every request, sending again the
// ones that failed, so that the bundle commits only once BigQuery holds its
// rows (or has rejected them, row by row).
type appendFn struct {
	// Options are Append's options, defaults filled in.
	Options Options
	// Table is the destination table.
	Table string
	// Type is the row type.
	Type beam.EncodedType

	enc    *rowEncoder
	cancel context.CancelFunc
	conn   *grpc.ClientConn
	client *managedwriter.Client
	stream *managedwriter.ManagedStream

	batch      []pendingRow
	batchBytes int
	sent       []*request
	// unsendable are rows rejected before any request: they cannot be
	// encoded or are larger than a request.
	unsendable []rejection

	appended, requests, retries, rejectedRows beam.Counter
}

// pendingRow is a row of the bundle, encoded.
type pendingRow struct {
	ts   beam.EventTime
	row  any
	data []byte
}

// request is one AppendRows call and its outcome.
type request struct {
	rows   []pendingRow
	result *managedwriter.AppendResult
	err    error // AppendRows' own error, when the request could not be sent
}

// rejection is a row BigQuery (or the encoder) refused, and why.
type rejection struct {
	row    pendingRow
	detail string
}

func (f *appendFn) Setup() error {
	enc, err := newRowEncoder(schemas.MustTable(f.Table), f.Type.T)
	if err != nil {
		return fmt.Errorf("storagewrite: %w", err)
	}
	f.enc = enc
	// The client keeps the context it is created with for its connections,
	// so it gets one that lives until Teardown.
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	var opts []option.ClientOption
	if f.Options.Endpoint != "" {
		conn, err := grpc.NewClient(f.Options.Endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("storagewrite: dial %s: %w", f.Options.Endpoint, err)
		}
		f.conn = conn
		opts = append(opts, option.WithGRPCConn(conn), option.WithoutAuthentication())
	}
	f.client, err = managedwriter.NewClient(ctx, f.Options.Project, opts...)
	if err != nil {
		return fmt.Errorf("storagewrite: write client: %w", err)
	}
	f.stream, err = f.client.NewManagedStream(ctx,
		managedwriter.WithType(managedwriter.DefaultStream),
		managedwriter.WithDestinationTable(managedwriter.TableParentFromParts(f.Options.Project, f.Options.Dataset, f.Table)),
		managedwriter.WithSchemaDescriptor(enc.descriptor),
	)
	if err != nil {
		return fmt.Errorf("storagewrite: open the default stream of %s.%s: %w", f.Options.Dataset, f.Table, err)
	}
	f.appended = beam.NewCounter("storagewrite", f.Table+"_rows_appended")
	f.requests = beam.NewCounter("storagewrite", f.Table+"_append_requests")
	f.retries = beam.NewCounter("storagewrite", f.Table+"_append_retries")
	f.rejectedRows = beam.NewCounter("storagewrite", f.Table+"_rows_rejected")
	return nil
}

func (f *appendFn) StartBundle(_ context.Context, _ func(beam.EventTime, schemas.Delivery), _ func(beam.EventTime, Rejected)) {
	f.batch, f.batchBytes, f.sent, f.unsendable = nil, 0, nil, nil
}

func (f *appendFn) ProcessElement(ctx context.Context, ts beam.EventTime, row beam.X, _ func(beam.EventTime, schemas.Delivery), _ func(beam.EventTime, Rejected)) {
	data, err := f.enc.encode(row)
	r := pendingRow{ts: ts, row: row, data: data}
	switch {
	case err != nil:
		f.unsendable = append(f.unsendable, rejection{r, err.Error()})
		return
	case len(data) > maxRequestBytes:
		f.unsendable = append(f.unsendable, rejection{r, fmt.Sprintf("row of %d bytes is larger than a request may be", len(data))})
		return
	}
	if f.batchBytes+len(data) > maxRequestBytes {
		f.flush(ctx)
	}
	f.batch = append(f.batch, r)
	f.batchBytes += len(data)
	if len(f.batch) >= f.Options.MaxBatchRows {
		f.flush(ctx)
	}
}

func (f *appendFn) FinishBundle(ctx context.Context, written func(beam.EventTime, schemas.Delivery), rejected func(beam.EventTime, Rejected)) error {
	f.flush(ctx)
	for _, r := range f.unsendable {
		f.reject(ctx, r, rejected)
	}
	f.unsendable = nil
	bo := gax.Backoff{Initial: backoffInitial, Max: backoffMax, Multiplier: 2}
	for attempt := 1; len(f.sent) > 0; {
		again, transient, err := f.collect(ctx, written, rejected)
		if err != nil {
			return err
		}
		if transient != nil {
			if attempt >= f.Options.MaxAttempts {
				return fmt.Errorf("storagewrite: append to %s: giving up after %d attempts: %w", f.Table, attempt, transient)
			}
			attempt++
			if err := gax.Sleep(ctx, bo.Pause()); err != nil {
				return fmt.Errorf("storagewrite: append to %s: %w", f.Table, err)
			}
		}
		for _, rows := range again {
			f.send(ctx, rows)
		}
	}
	return nil
}

func (f *appendFn) Teardown() error {
	var errs []error
	if f.stream != nil {
		// A writer closed in good order reports io.EOF.
		if err := f.stream.Close(); err != nil && !errors.Is(err, io.EOF) {
			errs = append(errs, fmt.Errorf("close stream: %w", err))
		}
	}
	if f.client != nil {
		if err := f.client.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close client: %w", err))
		}
	}
	if f.conn != nil {
		// The client may have closed it already.
		_ = f.conn.Close()
	}
	if f.cancel != nil {
		f.cancel()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("storagewrite: %s: %w", f.Table, err)
	}
	return nil
}

// flush sends the current batch, if any.
func (f *appendFn) flush(ctx context.Context) {
	if len(f.batch) > 0 {
		f.send(ctx, f.batch)
	}
	f.batch, f.batchBytes = nil, 0
}

// send starts one AppendRows request for rows; its outcome is collected in
// FinishBundle.
func (f *appendFn) send(ctx context.Context, rows []pendingRow) {
	data := make([][]byte, len(rows))
	for i, r := range rows {
		data[i] = r.data
	}
	result, err := f.stream.AppendRows(ctx, data)
	if errors.Is(err, io.EOF) {
		// The server had ended the connection (after a transient error); the
		// failed send marked it for reconnection, which the next send does.
		result, err = f.stream.AppendRows(ctx, data)
	}
	f.requests.Inc(ctx, 1)
	f.sent = append(f.sent, &request{rows: rows, result: result, err: err})
}

// collect waits on every request sent, emits the rows appended and rejected,
// and returns the groups of rows to send again: requests that failed with a
// transient error (the last such error is returned too), the rows of a
// request that BigQuery refused for other rows' sake, and the halves of a
// request refused as a whole. Any other failure fails the bundle.
func (f *appendFn) collect(ctx context.Context, written func(beam.EventTime, schemas.Delivery), rejected func(beam.EventTime, Rejected)) (again [][]pendingRow, transient, err error) {
	sent := f.sent
	f.sent = nil
	for _, req := range sent {
		resp, err := req.wait(ctx)
		switch classify(ctx, resp, err) {
		case appended:
			for _, r := range req.rows {
				if d, ok := f.enc.deliveryOf(r.row); ok {
					written(r.ts, d)
				}
			}
			f.appended.Inc(ctx, int64(len(req.rows)))
		case rowsRejected:
			rest, err := f.rejectRows(ctx, req.rows, resp.GetRowErrors(), rejected)
			if err != nil {
				return nil, nil, err
			}
			if len(rest) > 0 {
				again = append(again, rest)
			}
		case badRequest:
			// Refused without row errors: halve the request until the row at
			// fault is alone, so that one bad row cannot hold up the others.
			if len(req.rows) == 1 {
				f.reject(ctx, rejection{req.rows[0], err.Error()}, rejected)
				continue
			}
			half := len(req.rows) / 2
			again = append(again, req.rows[:half], req.rows[half:])
		case retry:
			f.retries.Inc(ctx, 1)
			again = append(again, req.rows)
			transient = err
		default:
			return nil, nil, fmt.Errorf("storagewrite: append to %s: %w", f.Table, err)
		}
	}
	return again, transient, nil
}

// wait returns the request's response, bounded by requestTimeout.
func (r *request) wait(ctx context.Context) (*storagepb.AppendRowsResponse, error) {
	if r.err != nil {
		return nil, r.err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	return r.result.FullResponse(ctx)
}

// rejectRows emits the rows a response names in its row errors and returns
// the others, which BigQuery did not append either.
func (f *appendFn) rejectRows(ctx context.Context, rows []pendingRow, rowErrors []*storagepb.RowError, rejected func(beam.EventTime, Rejected)) ([]pendingRow, error) {
	details := make(map[int64][]string, len(rowErrors))
	for _, e := range rowErrors {
		if e.GetIndex() < 0 || e.GetIndex() >= int64(len(rows)) {
			return nil, fmt.Errorf("storagewrite: append to %s: row error for row %d of a %d-row request", f.Table, e.GetIndex(), len(rows))
		}
		details[e.GetIndex()] = append(details[e.GetIndex()], e.GetMessage())
	}
	var rest []pendingRow
	for i, r := range rows {
		if d, ok := details[int64(i)]; ok {
			f.reject(ctx, rejection{r, strings.Join(d, "; ")}, rejected)
			continue
		}
		rest = append(rest, r)
	}
	return rest, nil
}

func (f *appendFn) reject(ctx context.Context, r rejection, rejected func(beam.EventTime, Rejected)) {
	rejected(r.row.ts, f.enc.rejected(r.row.row, r.detail))
	f.rejectedRows.Inc(ctx, 1)
}

// outcome is what became of one request.
type outcome int

const (
	appended     outcome = iota
	rowsRejected         // refused for the rows its row errors name
	badRequest           // refused as a whole (InvalidArgument), no row named
	retry                // a transient failure: send it again
	fatal                // fail the bundle
)

// classify maps a request's response and error to its outcome. Transient
// are the codes BigQuery documents as retryable (Unavailable,
// ResourceExhausted, Internal, Aborted, DeadlineExceeded), a connection
// the server ended (io.EOF, or Canceled for writes queued on a connection
// being replaced) and a response that did not come within requestTimeout.
func classify(ctx context.Context, resp *storagepb.AppendRowsResponse, err error) outcome {
	switch {
	case len(resp.GetRowErrors()) > 0:
		return rowsRejected
	case err == nil:
		return appended
	case ctx.Err() != nil:
		return fatal
	case errors.Is(err, io.EOF), errors.Is(err, context.DeadlineExceeded):
		return retry
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.Internal, codes.Aborted, codes.DeadlineExceeded, codes.Canceled:
		return retry
	case codes.InvalidArgument:
		return badRequest
	}
	return fatal
}
