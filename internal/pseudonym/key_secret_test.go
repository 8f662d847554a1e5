package pseudonym

import (
	"context"
	"hash/crc32"
	"net"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeSecretManager serves AccessSecretVersion from a map of version names,
// the way Secret Manager does: NotFound for an unknown name, PermissionDenied
// for a name listed in denied.
type fakeSecretManager struct {
	secretmanagerpb.UnimplementedSecretManagerServiceServer
	versions map[string]*secretmanagerpb.SecretPayload
	denied   map[string]bool

	mu    sync.Mutex
	names []string // every requested name, in order
}

func (f *fakeSecretManager) AccessSecretVersion(_ context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	f.mu.Lock()
	f.names = append(f.names, req.GetName())
	f.mu.Unlock()
	if f.denied[req.GetName()] {
		return nil, status.Errorf(codes.PermissionDenied, "Permission 'secretmanager.versions.access' denied for resource '%s'", req.GetName())
	}
	p, ok := f.versions[req.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Secret Version [%s] not found.", req.GetName())
	}
	return &secretmanagerpb.AccessSecretVersionResponse{Name: req.GetName(), Payload: p}, nil
}

func (f *fakeSecretManager) requested() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.names...)
}

// serveFake starts f on a loopback port and points LoadKey at it.
func serveFake(t *testing.T, f *fakeSecretManager) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	secretmanagerpb.RegisterSecretManagerServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	t.Setenv(SecretManagerEndpointEnv, lis.Addr().String())
}

func payload(data string) *secretmanagerpb.SecretPayload {
	sum := int64(crc32.Checksum([]byte(data), crc32.MakeTable(crc32.Castagnoli)))
	return &secretmanagerpb.SecretPayload{Data: []byte(data), DataCrc32C: &sum}
}

func TestLoadKeySecret(t *testing.T) {
	const (
		good     = "projects/p1/secrets/clickstream-hash-key/versions/3"
		noCRC    = "projects/p1/secrets/clickstream-hash-key/versions/4"
		badCRC   = "projects/p1/secrets/clickstream-hash-key/versions/5"
		blank    = "projects/p1/secrets/clickstream-hash-key/versions/6"
		missing  = "projects/p1/secrets/clickstream-hash-key/versions/99"
		forbid   = "projects/p1/secrets/other-team-key/versions/1"
		pastedID = "deadbeefcafe0123456789"
	)
	wrongSum := int64(12345)
	fake := &fakeSecretManager{
		versions: map[string]*secretmanagerpb.SecretPayload{
			good:   payload("  k3y-from-secret-manager\n"),
			noCRC:  {Data: []byte("k3y-without-checksum")},
			badCRC: {Data: []byte("k3y-corrupted"), DataCrc32C: &wrongSum},
			blank:  payload(" \n"),
		},
		denied: map[string]bool{forbid: true},
	}
	serveFake(t, fake)

	tests := []struct {
		name    string
		ref     string
		want    string
		wantErr string // substring of the error
		called  bool   // whether the server must have been asked
	}{
		{name: "version read and trimmed", ref: "secret:" + good, want: "k3y-from-secret-manager", called: true},
		{name: "no checksum sent", ref: "secret:" + noCRC, want: "k3y-without-checksum", called: true},
		{name: "checksum mismatch", ref: "secret:" + badCRC, wantErr: "CRC32C", called: true},
		{name: "empty payload", ref: "secret:" + blank, wantErr: "is empty", called: true},
		{name: "not found", ref: "secret:" + missing, wantErr: "NotFound", called: true},
		{name: "permission denied names the role", ref: "secret:" + forbid, wantErr: "roles/secretmanager.secretAccessor", called: true},
		{name: "key pasted after the scheme", ref: "secret:" + pastedID, wantErr: "not a secret version name"},
		{name: "secret without version", ref: "secret:projects/p1/secrets/clickstream-hash-key", wantErr: "not a secret version name"},
		{name: "nothing after the scheme", ref: "secret:", wantErr: "not a secret version name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(fake.requested())
			got, err := LoadKey(tt.ref)
			asked := fake.requested()[before:]
			if tt.called != (len(asked) == 1) || (tt.called && "secret:"+asked[0] != tt.ref) {
				t.Errorf("server was asked for %q, want called=%v for %q", asked, tt.called, tt.ref)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadKey error = %v, want it to contain %q", err, tt.wantErr)
				}
				if arg := strings.TrimPrefix(tt.ref, "secret:"); arg != "" && strings.Contains(err.Error(), arg) {
					t.Errorf("error %q echoes the reference", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadKey: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("LoadKey = %q, want %q", got, tt.want)
			}
		})
	}
}
