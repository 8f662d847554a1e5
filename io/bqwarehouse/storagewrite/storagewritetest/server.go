package storagewritetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"cloud.google.com/go/bigquery/storage/managedwriter/adapt"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/schemas"
)

// MaxRequestBytes is the API's limit on one AppendRows request.
const MaxRequestBytes = 10 << 20

// Server is an in-process fake of the BigQuery Storage Write API for the
// tables of schemas.Tables() in one project and dataset. It serves
// GetWriteStream and AppendRows on the default stream of each table,
// decodes every row with the descriptor the writer sent, and accepts or
// refuses each request whole, as BigQuery does for default streams.
type Server struct {
	storagepb.UnimplementedBigQueryWriteServer

	project, dataset string
	tables           map[string]schemas.Table
	grpc             *grpc.Server
	addr             string

	mu        sync.Mutex
	failures  int
	reject    func(table string, row Row) string
	rowErrors int // the most row errors a response reports, -1 for all
	rows      map[string][]Row
	requests  int
}

// NewServer starts a server on a free local port; Close stops it.
func NewServer(project, dataset string) (*Server, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("storagewritetest: listen: %w", err)
	}
	s := &Server{
		project: project,
		dataset: dataset,
		tables:  map[string]schemas.Table{},
		// gRPC's default limit (4 MB) is below the API's.
		grpc:      grpc.NewServer(grpc.MaxRecvMsgSize(2 * MaxRequestBytes)),
		addr:      lis.Addr().String(),
		rowErrors: -1,
		rows:      map[string][]Row{},
	}
	for _, t := range schemas.Tables() {
		s.tables[t.Name] = t
	}
	storagepb.RegisterBigQueryWriteServer(s.grpc, s)
	go func() { _ = s.grpc.Serve(lis) }()
	return s, nil
}

// Addr is the server's host:port (storagewrite.Options.Endpoint).
func (s *Server) Addr() string { return s.addr }

// Close stops the server, ending open streams.
func (s *Server) Close() { s.grpc.Stop() }

// FailNext makes the next n AppendRows requests fail with Unavailable,
// ending their connection as a server going away does; their rows are not
// stored.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = n
}

// RejectRows sets a predicate for permanent row errors: a row for which
// reject returns a non-empty message is refused with that message, which
// fails its request, like a row that breaks the table's schema.
func (s *Server) RejectRows(reject func(table string, row Row) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = reject
}

// LimitRowErrors makes a refused request report at most n of its row
// errors (n < 0: all, the default). BigQuery warns that the list may be
// incomplete; with n = 0 a refused request names none of its rows.
func (s *Server) LimitRowErrors(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rowErrors = n
}

// Rows returns the rows appended to table, in the order they were accepted.
func (s *Server) Rows(table string) []Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rows[table])
}

// TakeRows returns the rows appended to table and forgets them, so that a
// long test or benchmark does not hold every row.
func (s *Server) TakeRows(table string) []Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := s.rows[table]
	delete(s.rows, table)
	return rows
}

// Requests returns how many AppendRows requests the server has received,
// failed or not.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// GetWriteStream describes the default stream of a table.
func (s *Server) GetWriteStream(_ context.Context, req *storagepb.GetWriteStreamRequest) (*storagepb.WriteStream, error) {
	t, err := s.table(req.GetName())
	if err != nil {
		return nil, err
	}
	ws := &storagepb.WriteStream{
		Name:      req.GetName(),
		Type:      storagepb.WriteStream_COMMITTED,
		WriteMode: storagepb.WriteStream_INSERT,
		Location:  "US",
	}
	if req.GetView() == storagepb.WriteStreamView_FULL {
		if ws.TableSchema, err = storageSchema(t); err != nil {
			return nil, grpcstatus.Error(codes.Internal, err.Error())
		}
	}
	return ws, nil
}

// connection is what an AppendRows stream has been told so far: the first
// request names the stream and carries the writer's schema; later ones may
// omit both.
type connection struct {
	stream string
	table  schemas.Table
	desc   protoreflect.MessageDescriptor
}

// AppendRows serves one bidirectional append stream, answering each request
// in order.
func (s *Server) AppendRows(stream storagepb.BigQueryWrite_AppendRowsServer) error {
	var c connection
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		resp, err := s.append(&c, req)
		if err != nil {
			return err
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// append handles one request. An error ends the stream; a refused request
// is answered with an error status in the response.
func (s *Server) append(c *connection, req *storagepb.AppendRowsRequest) (*storagepb.AppendRowsResponse, error) {
	s.mu.Lock()
	s.requests++
	fail := s.failures > 0
	if fail {
		s.failures--
	}
	reject, limit := s.reject, s.rowErrors
	s.mu.Unlock()
	if fail {
		return nil, grpcstatus.Error(codes.Unavailable, "storagewritetest: injected transient failure")
	}

	if name := req.GetWriteStream(); name != "" && name != c.stream {
		t, err := s.table(name)
		if err != nil {
			return nil, err
		}
		c.stream, c.table, c.desc = name, t, nil
	}
	if c.stream == "" {
		return nil, grpcstatus.Error(codes.InvalidArgument, "the first request of a connection must name the write stream")
	}
	if ws := req.GetProtoRows().GetWriterSchema(); ws != nil {
		desc, err := messageDescriptor(ws.GetProtoDescriptor())
		if err != nil {
			return nil, grpcstatus.Errorf(codes.InvalidArgument, "writer schema: %v", err)
		}
		c.desc = desc
	}
	if c.desc == nil {
		return nil, grpcstatus.Error(codes.InvalidArgument, "the first request of a connection must carry the writer schema")
	}
	if req.GetOffset() != nil {
		return refused(c, codes.InvalidArgument, "a default stream takes no offsets", nil), nil
	}
	if size := proto.Size(req); size > MaxRequestBytes {
		return refused(c, codes.InvalidArgument, fmt.Sprintf("request of %d bytes exceeds the limit of %d", size, MaxRequestBytes), nil), nil
	}

	data := req.GetProtoRows().GetRows().GetSerializedRows()
	rows := make([]Row, len(data))
	var rowErrors []*storagepb.RowError
	for i, b := range data {
		row, err := decodeRow(c.table, c.desc, b)
		msg := ""
		switch {
		case err != nil:
			msg = err.Error()
		case reject != nil:
			msg = reject(c.table.Name, row)
		}
		if msg != "" {
			rowErrors = append(rowErrors, &storagepb.RowError{Index: int64(i), Code: storagepb.RowError_FIELDS_ERROR, Message: msg})
		}
		rows[i] = row
	}
	if len(rowErrors) > 0 {
		if limit >= 0 && len(rowErrors) > limit {
			rowErrors = rowErrors[:limit]
		}
		return refused(c, codes.InvalidArgument,
			"Errors found while processing rows. Please refer to the row_errors field for details. The list may not be complete because of the size limitations. Entity: "+c.stream,
			rowErrors), nil
	}

	s.mu.Lock()
	s.rows[c.table.Name] = append(s.rows[c.table.Name], rows...)
	s.mu.Unlock()
	return &storagepb.AppendRowsResponse{
		WriteStream: c.stream,
		Response:    &storagepb.AppendRowsResponse_AppendResult_{AppendResult: &storagepb.AppendRowsResponse_AppendResult{}},
	}, nil
}

// refused is the response to a request appended in none of its rows.
func refused(c *connection, code codes.Code, msg string, rowErrors []*storagepb.RowError) *storagepb.AppendRowsResponse {
	return &storagepb.AppendRowsResponse{
		WriteStream: c.stream,
		Response:    &storagepb.AppendRowsResponse_Error{Error: &status.Status{Code: int32(code), Message: msg}},
		RowErrors:   rowErrors,
	}
}

// table returns the table of a default stream's name,
// projects/{project}/datasets/{dataset}/tables/{table}/streams/_default.
func (s *Server) table(stream string) (schemas.Table, error) {
	prefix := "projects/" + s.project + "/datasets/" + s.dataset + "/tables/"
	name, ok := strings.CutPrefix(stream, prefix)
	if !ok {
		return schemas.Table{}, grpcstatus.Errorf(codes.NotFound, "stream %s: not in project %s, dataset %s", stream, s.project, s.dataset)
	}
	name, ok = strings.CutSuffix(name, "/streams/_default")
	if !ok {
		return schemas.Table{}, grpcstatus.Errorf(codes.NotFound, "stream %s: only default streams are served", stream)
	}
	t, ok := s.tables[name]
	if !ok {
		return schemas.Table{}, grpcstatus.Errorf(codes.NotFound, "table %s.%s not found", s.dataset, name)
	}
	return t, nil
}

// messageDescriptor resolves a self-contained (normalized) descriptor.
func messageDescriptor(dp *descriptorpb.DescriptorProto) (protoreflect.MessageDescriptor, error) {
	if dp == nil {
		return nil, errors.New("no proto descriptor")
	}
	file, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:        proto.String("storagewritetest/writer.proto"),
		Syntax:      proto.String("proto2"),
		MessageType: []*descriptorpb.DescriptorProto{dp},
	}, nil)
	if err != nil {
		return nil, err
	}
	return file.Messages().Get(0), nil
}

// storageSchema is the table's schema in the Write API's terms.
func storageSchema(t schemas.Table) (*storagepb.TableSchema, error) {
	bq, err := bqwarehouse.Schema(t)
	if err != nil {
		return nil, err
	}
	return adapt.BQSchemaToStorageTableSchema(bq)
}
