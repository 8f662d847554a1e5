// Package pubsubclient opens Pub/Sub clients for the io packages, on
// Google or on an emulator.
package pubsubclient

import (
	"context"
	"fmt"

	"cloud.google.com/go/pubsub/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// New opens a Pub/Sub client for project on endpoint: an emulator or pstest
// (no TLS, no credentials) when endpoint is set, else Google, or the
// emulator named by PUBSUB_EMULATOR_HOST, which the client library honours.
func New(ctx context.Context, project, endpoint string) (*pubsub.Client, error) {
	var opts []option.ClientOption
	if endpoint != "" {
		opts = append(opts,
			option.WithEndpoint(endpoint),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
			option.WithoutAuthentication(),
			option.WithTelemetryDisabled(),
		)
	}
	c, err := pubsub.NewClient(ctx, project, opts...)
	if err != nil {
		return nil, fmt.Errorf("pubsub client for %q: %w", endpoint, err)
	}
	return c, nil
}
