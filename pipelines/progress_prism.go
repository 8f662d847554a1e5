package pipelines

import (
	"context"
	"fmt"
	"net"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/metricsx"
	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// prismJobs is the local runner's job service, which the driver polls for
// the counters of the job it runs: Prism updates a job's attempted
// counters from the SDK's progress reports while a bundle runs
// (GetJobMetrics), so the driver sees records as they are read without
// anything printing from the workers.
type prismJobs struct {
	client jobpb.JobServiceClient
	conn   *grpc.ClientConn
	// before are the jobs that existed before this run's job was
	// submitted: the run's job is the one that is not among them.
	before []string
	jobID  string
}

// newPrismJobs connects to the local runner's job service, starting one in
// this process first (as Prism's runner does when none is named, with a
// port it picks here so that the driver can reach it) when the runner is
// Prism and no --endpoint is set. It returns nil on any other runner:
// on Dataflow, progress is the Dataflow console's job.
func newPrismJobs(ctx context.Context) (*prismJobs, error) {
	if r := *runners.Runner; r != "" && r != "prism" && r != "PrismRunner" {
		return nil, nil
	}
	if *jobopts.Endpoint == "" {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		// The server lives as long as the process, like the one Prism's
		// runner starts itself; later runs in the process reuse it.
		if _, err := prism.CreateJobServer(ctx, prism.Options{Port: port}); err != nil {
			return nil, fmt.Errorf("start the local runner's job service: %w", err)
		}
		*jobopts.Endpoint = fmt.Sprintf("localhost:%d", port)
		if *jobopts.EnvironmentType == "" {
			*jobopts.EnvironmentType = "loopback"
		}
	}
	conn, err := grpc.NewClient(*jobopts.Endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("connect to the local runner's job service: %w", err)
	}
	j := &prismJobs{client: jobpb.NewJobServiceClient(conn), conn: conn}
	if j.before, err = j.jobIDs(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return j, nil
}

func (j *prismJobs) jobIDs(ctx context.Context) ([]string, error) {
	resp, err := j.client.GetJobs(ctx, &jobpb.GetJobsRequest{})
	if err != nil {
		return nil, fmt.Errorf("list the local runner's jobs: %w", err)
	}
	var ids []string
	for _, info := range resp.GetJobInfo() {
		ids = append(ids, info.GetJobId())
	}
	return ids, nil
}

// poll is a progressSource: the run's job's counters so far. Each counter
// is the larger of its committed value (finished bundles) and its attempted
// one (the running bundle's last progress report), so it never overcounts.
func (j *prismJobs) poll(ctx context.Context) (pipelineProgress, bool) {
	if j.jobID == "" {
		ids, err := j.jobIDs(ctx)
		if err != nil {
			return pipelineProgress{}, false
		}
		for _, id := range ids {
			if !slices.Contains(j.before, id) {
				j.jobID = id
			}
		}
		if j.jobID == "" {
			return pipelineProgress{}, false // not submitted yet
		}
	}
	resp, err := j.client.GetJobMetrics(ctx, &jobpb.GetJobMetricsRequest{JobId: j.jobID})
	if err != nil {
		return pipelineProgress{}, false
	}
	m := resp.GetMetrics()
	counters := map[string]int64{}
	for _, c := range metricsx.FromMonitoringInfos(nil, m.GetAttempted(), m.GetCommitted()).AllMetrics().Counters() {
		counters[c.Key.Namespace+"."+c.Key.Name] += max(c.Attempted, c.Committed)
	}
	var staged int64
	for _, table := range []string{"fact_events", "fact_sessions", "bot_events"} {
		staged += counters["warehouse."+table+"_rows_staged"]
	}
	return pipelineProgress{
		Records:   max(counters["files.input_records"], counters["parse.events"]+counters["parse.dead_letter"]),
		FilesRead: counters["files.files_read"],
		Devices:   counters["bydevice.devices"],
		Staged:    staged,
		Loads:     counters["bigquery.load_jobs"],
	}, true
}

func (j *prismJobs) close() { _ = j.conn.Close() }

// freePort is a TCP port free at the time of asking.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		return 0, fmt.Errorf("find a port for the local runner: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
