package bqwarehouse

import (
	"context"
	"fmt"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/option"
)

// NewClient is a client of project whose jobs run in dataset's location,
// which jobs.get must be told. endpoint is the REST API's base URL for
// tests (no credentials are sent to it); empty means Google's, with
// Application Default Credentials.
func NewClient(ctx context.Context, project, dataset, endpoint string) (*bigquery.Client, error) {
	var opts []option.ClientOption
	if endpoint != "" {
		opts = append(opts, option.WithEndpoint(endpoint), option.WithoutAuthentication())
	}
	client, err := bigquery.NewClient(ctx, project, opts...)
	if err != nil {
		return nil, fmt.Errorf("bigquery: client: %w", err)
	}
	md, err := client.Dataset(dataset).Metadata(ctx)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("bigquery: dataset %s.%s: %w", project, dataset, err)
	}
	client.Location = md.Location
	return client, nil
}
