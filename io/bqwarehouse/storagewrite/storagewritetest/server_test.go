package storagewritetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"cloud.google.com/go/bigquery/storage/managedwriter/adapt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/example/clickstream/schemas"
)

const (
	project = "p"
	dataset = "d"
	stream  = "projects/p/datasets/d/tables/bot_events/streams/_default"
)

// start returns a server and a raw Write API client connected to it.
func start(t *testing.T) (*Server, storagepb.BigQueryWriteClient) {
	t.Helper()
	srv, err := NewServer(project, dataset)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return srv, storagepb.NewBigQueryWriteClient(conn)
}

// botEventsDescriptor is the writer descriptor of bot_events, plus a field
// "bogus" that is not a column.
func botEventsDescriptor(t *testing.T) (*descriptorpb.DescriptorProto, protoreflect.MessageDescriptor) {
	t.Helper()
	ts, err := storageSchema(schemas.MustTable("bot_events"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := adapt.StorageSchemaToProto2Descriptor(ts, "root")
	if err != nil {
		t.Fatal(err)
	}
	dp, err := adapt.NormalizeDescriptor(d.(protoreflect.MessageDescriptor))
	if err != nil {
		t.Fatal(err)
	}
	dp.Field = append(dp.Field, &descriptorpb.FieldDescriptorProto{
		Name: proto.String("bogus"), Number: proto.Int32(1000),
		Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
	})
	md, err := messageDescriptor(dp)
	if err != nil {
		t.Fatal(err)
	}
	return dp, md
}

// botEvent serializes a bot_events row with the given fields set, skipping
// those whose value is nil.
func botEvent(t *testing.T, md protoreflect.MessageDescriptor, fields map[string]any) []byte {
	t.Helper()
	msg := dynamicpb.NewMessage(md)
	for name, v := range fields {
		if v != nil {
			msg.Set(md.Fields().ByName(protoreflect.Name(name)), protoreflect.ValueOf(v))
		}
	}
	b, err := proto.MarshalOptions{AllowPartial: true}.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func validBotEvent(id string) map[string]any {
	return map[string]any{
		"event_id": id, "event_type": "page_view", "event_date": int32(20758), "event_time": int64(1_793_491_200_000_001),
		"device_id": "d1", "bot_rule": "ip", "bot_detail": "203.0.113.0/24", "source": "s", "source_line": int64(3),
		"beacon_index": int64(0),
	}
}

func with(fields map[string]any, name string, v any) map[string]any {
	fields[name] = v
	return fields
}

func appendRows(t *testing.T, s storagepb.BigQueryWrite_AppendRowsClient, req *storagepb.AppendRowsRequest) *storagepb.AppendRowsResponse {
	t.Helper()
	if err := s.Send(req); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Recv()
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return resp
}

func protoRows(dp *descriptorpb.DescriptorProto, rows ...[]byte) *storagepb.AppendRowsRequest_ProtoRows {
	data := &storagepb.AppendRowsRequest_ProtoData{Rows: &storagepb.ProtoRows{SerializedRows: rows}}
	if dp != nil {
		data.WriterSchema = &storagepb.ProtoSchema{ProtoDescriptor: dp}
	}
	return &storagepb.AppendRowsRequest_ProtoRows{ProtoRows: data}
}

// A request with malformed rows is refused whole, with a row error for each;
// the valid rows sent again are stored and decode to the values sent.
func TestAppendRowsSchema(t *testing.T) {
	srv, client := start(t)
	dp, md := botEventsDescriptor(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := client.AppendRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	valid := botEvent(t, md, validBotEvent("e1"))
	resp := appendRows(t, s, &storagepb.AppendRowsRequest{WriteStream: stream, Rows: protoRows(dp,
		valid,
		botEvent(t, md, with(validBotEvent("e2"), "event_id", nil)),
		botEvent(t, md, with(validBotEvent("e3"), "bogus", "x")),
		botEvent(t, md, with(validBotEvent("e4"), "ip", "203.0.113.0")),
	)})
	if code := codes.Code(resp.GetError().GetCode()); code != codes.InvalidArgument {
		t.Errorf("response code %v, want InvalidArgument", code)
	}
	want := map[int64]string{1: "missing required field event_id", 2: "field bogus is not a column of table bot_events"}
	if len(resp.GetRowErrors()) != len(want) {
		t.Errorf("row errors %v, want %v", resp.GetRowErrors(), want)
	}
	for _, e := range resp.GetRowErrors() {
		if want[e.GetIndex()] != e.GetMessage() || e.GetCode() != storagepb.RowError_FIELDS_ERROR {
			t.Errorf("row error %d: %v %q, want FIELDS_ERROR %q", e.GetIndex(), e.GetCode(), e.GetMessage(), want[e.GetIndex()])
		}
	}
	if n := len(srv.Rows("bot_events")); n != 0 {
		t.Fatalf("a refused request stored %d rows", n)
	}

	// Later requests on the connection may omit the stream and the schema.
	resp = appendRows(t, s, &storagepb.AppendRowsRequest{Rows: protoRows(nil, valid, botEvent(t, md, with(validBotEvent("e4"), "ip", "203.0.113.0")))})
	if resp.GetError() != nil || resp.GetAppendResult() == nil {
		t.Fatalf("append of valid rows: %v", resp)
	}
	rows, err := Decode[schemas.BotEvent](srv.Rows("bot_events"))
	if err != nil {
		t.Fatal(err)
	}
	wantRow := schemas.BotEvent{
		EventID: "e1", EventType: "page_view", EventDate: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		EventTime: time.Date(2026, 11, 1, 0, 0, 0, 1000, time.UTC), DeviceID: "d1", BotRule: "ip", BotDetail: "203.0.113.0/24",
		Source: "s", SourceLine: 3,
	}
	if len(rows) != 2 || rows[0] != wantRow || rows[1].EventID != "e4" || rows[1].IP != "203.0.113.0" {
		t.Errorf("stored rows %+v, want %+v and e4", rows, wantRow)
	}
	if srv.Requests() != 2 {
		t.Errorf("Requests() = %d, want 2", srv.Requests())
	}
	if taken := srv.TakeRows("bot_events"); len(taken) != 2 || len(srv.Rows("bot_events")) != 0 {
		t.Errorf("TakeRows took %d rows and left %d, want 2 and 0", len(taken), len(srv.Rows("bot_events")))
	}
}

func TestAppendRowsProtocol(t *testing.T) {
	dp, md := botEventsDescriptor(t)
	row := botEvent(t, md, validBotEvent("e1"))
	for _, tc := range []struct {
		name string
		req  *storagepb.AppendRowsRequest
		code codes.Code
		msg  string
	}{
		{"no stream", &storagepb.AppendRowsRequest{Rows: protoRows(dp, row)}, codes.InvalidArgument, "must name the write stream"},
		{"no schema", &storagepb.AppendRowsRequest{WriteStream: stream, Rows: protoRows(nil, row)}, codes.InvalidArgument, "must carry the writer schema"},
		{"unknown table", &storagepb.AppendRowsRequest{WriteStream: "projects/p/datasets/d/tables/nope/streams/_default", Rows: protoRows(dp, row)}, codes.NotFound, "d.nope not found"},
		{"other dataset", &storagepb.AppendRowsRequest{WriteStream: strings.Replace(stream, "/d/", "/x/", 1), Rows: protoRows(dp, row)}, codes.NotFound, "not in project p, dataset d"},
		{"not a default stream", &storagepb.AppendRowsRequest{WriteStream: strings.Replace(stream, "_default", "s1", 1), Rows: protoRows(dp, row)}, codes.NotFound, "only default streams"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, client := start(t)
			s, err := client.AppendRows(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(tc.req); err != nil {
				t.Fatal(err)
			}
			_, err = s.Recv()
			if st := grpcstatus.Convert(err); st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Errorf("stream ended with %v, want %v with %q", err, tc.code, tc.msg)
			}
			if n := len(srv.Rows("bot_events")); n != 0 {
				t.Errorf("stored %d rows", n)
			}
		})
	}
}

// Injected failures end the connection with Unavailable, one request each;
// the rows are not stored.
func TestFailNext(t *testing.T) {
	srv, client := start(t)
	srv.FailNext(2)
	dp, md := botEventsDescriptor(t)
	req := &storagepb.AppendRowsRequest{WriteStream: stream, Rows: protoRows(dp, botEvent(t, md, validBotEvent("e1")))}
	for i := range 3 {
		s, err := client.AppendRows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(req); err != nil {
			t.Fatal(err)
		}
		_, err = s.Recv()
		if want := map[bool]codes.Code{true: codes.Unavailable, false: codes.OK}[i < 2]; grpcstatus.Code(err) != want {
			t.Errorf("request %d: %v, want %v", i, err, want)
		}
	}
	if n := len(srv.Rows("bot_events")); n != 1 {
		t.Errorf("stored %d rows, want 1", n)
	}
}

func TestGetWriteStream(t *testing.T) {
	_, client := start(t)
	ws, err := client.GetWriteStream(context.Background(), &storagepb.GetWriteStreamRequest{Name: stream, View: storagepb.WriteStreamView_FULL})
	if err != nil {
		t.Fatal(err)
	}
	if ws.GetName() != stream || ws.GetType() != storagepb.WriteStream_COMMITTED || ws.GetLocation() == "" ||
		len(ws.GetTableSchema().GetFields()) != len(schemas.MustTable("bot_events").Schema) {
		t.Errorf("write stream %v", ws)
	}
	_, err = client.GetWriteStream(context.Background(), &storagepb.GetWriteStreamRequest{Name: strings.Replace(stream, "bot_events", "nope", 1)})
	if grpcstatus.Code(err) != codes.NotFound {
		t.Errorf("unknown table: %v, want NotFound", err)
	}
}

func TestDecode(t *testing.T) {
	price := 2.5
	rows := []Row{{"event_id": "e1", "price": price, "event_date": time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}}
	got, err := Decode[schemas.Event](rows)
	if err != nil || len(got) != 1 || got[0].EventID != "e1" || got[0].Price == nil || *got[0].Price != price || got[0].Quantity != nil {
		t.Errorf("Decode = %+v, %v", got, err)
	}
	sessions, err := Decode[schemas.Session]([]Row{{"page_path_sequence": []any{"/", "/a"}}})
	if err != nil || len(sessions) != 1 || strings.Join(sessions[0].PagePathSequence, ",") != "/,/a" {
		t.Errorf("Decode list = %+v, %v", sessions, err)
	}
	for _, bad := range []Row{{"nope": "x"}, {"event_id": int64(1)}, {"event_id": []any{"x"}}} {
		if _, err := Decode[schemas.Event]([]Row{bad}); err == nil {
			t.Errorf("Decode(%v): no error", bad)
		}
	}
}
