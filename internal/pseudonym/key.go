package pseudonym

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"regexp"
	"strings"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// SecretManagerEndpointEnv names the environment variable that, when set,
// points "secret:" key references at another Secret Manager endpoint
// (host:port), reached without TLS or credentials: for tests and emulators.
const SecretManagerEndpointEnv = "CLICKSTREAM_SECRETMANAGER_ENDPOINT"

// secretTimeout bounds one key fetch: a worker that cannot reach Secret
// Manager should fail its start-up, and be retried, rather than hang.
const secretTimeout = 30 * time.Second

// secretVersionName is the only accepted form of a "secret:" reference.
var secretVersionName = regexp.MustCompile(`^projects/[^/]+/secrets/[^/]+/versions/[^/]+$`)

const wantRef = `want "env:NAME" or "file:PATH", or on Google Cloud "secret:projects/P/secrets/S/versions/V"`

// LoadKey resolves a key reference ("env:NAME", "file:PATH" or
// "secret:projects/P/secrets/S/versions/V", see the package documentation)
// to the key bytes.
//
// Errors never echo the reference beyond its scheme: a key pasted where its
// reference belongs must not end up in logs.
func LoadKey(ref string) ([]byte, error) {
	scheme, arg, ok := strings.Cut(ref, ":")
	if !ok {
		return nil, errors.New("pseudonymize: key reference has no scheme: " + wantRef)
	}
	switch scheme {
	case "env":
		if arg == "" {
			return nil, errors.New(`pseudonymize: key reference "env:" names no variable: want "env:NAME"`)
		}
		v := strings.TrimSpace(os.Getenv(arg))
		if v == "" {
			return nil, fmt.Errorf("pseudonymize: key variable %s is unset or empty: "+
				"set it to the key on every worker, e.g. export %s=\"$(openssl rand -hex 32)\"", arg, arg)
		}
		return []byte(v), nil
	case "file":
		if arg == "" {
			return nil, errors.New(`pseudonymize: key reference "file:" names no file: want "file:PATH"`)
		}
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("pseudonymize: read key file: %w", err)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return nil, fmt.Errorf("pseudonymize: key file %s is empty", arg)
		}
		return b, nil
	case "secret":
		return loadSecret(arg)
	default:
		return nil, errors.New("pseudonymize: unsupported key reference scheme: " + wantRef)
	}
}

// loadSecret reads one Secret Manager secret version with the worker's
// default credentials. Its errors carry the gRPC status code, never the
// server's message, which quotes the resource name.
func loadSecret(name string) ([]byte, error) {
	if !secretVersionName.MatchString(name) {
		return nil, errors.New(`pseudonymize: key reference "secret:" is not a secret version name: ` +
			`want "secret:projects/P/secrets/S/versions/V"`)
	}
	ctx, cancel := context.WithTimeout(context.Background(), secretTimeout)
	defer cancel()

	var opts []option.ClientOption
	if ep := os.Getenv(SecretManagerEndpointEnv); ep != "" {
		opts = append(opts, option.WithEndpoint(ep), option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	client, err := secretmanager.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("pseudonymize: secret manager client: %w", err)
	}
	// Only read through the client: a close error has nothing left to lose.
	defer func() { _ = client.Close() }()

	resp, err := client.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name})
	if err != nil {
		code := status.Code(err)
		hint := ""
		if code == codes.PermissionDenied {
			hint = " (the worker's service account needs roles/secretmanager.secretAccessor on the secret)"
		}
		return nil, fmt.Errorf("pseudonymize: access key secret version: %s%s", code, hint)
	}
	data := resp.GetPayload().GetData()
	if resp.GetPayload().DataCrc32C != nil &&
		int64(crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))) != resp.GetPayload().GetDataCrc32C() {
		return nil, errors.New("pseudonymize: key secret version payload fails its CRC32C check")
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("pseudonymize: key secret version is empty")
	}
	return data, nil
}
