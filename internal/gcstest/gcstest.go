// Package gcstest serves Cloud Storage in process for tests: fake-gcs-server
// on a local port, with STORAGE_EMULATOR_HOST pointing at it, so that Beam's
// gs:// filesystem and storage.NewClient both reach it. Only tests import it.
package gcstest

import (
	"fmt"
	"net"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// Serve starts fake-gcs-server with the named buckets, sets
// STORAGE_EMULATOR_HOST for the rest of the test and stops the server when
// the test ends. Tests that call it cannot run in parallel (t.Setenv).
func Serve(t *testing.T, buckets ...string) *fakestorage.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	server, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: uint16(port), PublicHost: host,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Stop)
	t.Setenv("STORAGE_EMULATOR_HOST", host)
	for _, b := range buckets {
		server.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
	}
	return server
}
