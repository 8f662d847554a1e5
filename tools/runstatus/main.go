// Command runstatus prints the account of a batch run from the tables the
// run wrote about itself (runs, run_outcomes and run_partitions, see
// schemas/tables): the summary a local run prints, rebuilt from those rows,
// read from the local warehouse or from BigQuery. It exits 3 when the run did
// not reconcile, like the pipeline binary.
//
//	runstatus                                   the newest run of ./warehouse
//	runstatus --run_id=20261124T073418Z-3ad67140
//	runstatus --list                            the history, newest first
//	runstatus --bq_project=P --bq_dataset=clickstream --list
//	runstatus --wait --project=P --region=R --job_id=J \
//	    --bq_project=P --bq_dataset=clickstream --run_id=R
//
// With --wait it first polls the Dataflow job (--job_id, or the newest job
// named --job_name) until it ends, printing its state and the time waited;
// a job that ends other than JOB_STATE_DONE exits 1 with its state and its
// error messages. make backfill and make daily wait this way.
//
// It is a binary of its own rather than a flag of the pipeline: the pipeline
// binary is re-executed as the Dataflow worker and runs inside the Flex
// Template launcher, which returns once the job is submitted.
//
// Exit status: 0 reconciled (or --list), 1 an error or a job that did not
// succeed, 2 bad flags, 3 not reconciled.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/example/clickstream/schemas"
)

// Exit statuses.
const (
	exitOK            = 0
	exitFailed        = 1
	exitUsage         = 2
	exitNotReconciled = 3
)

// options are the command's flags.
type options struct {
	warehouse  string
	bqProject  string
	bqDataset  string
	bqEndpoint string

	runID string
	list  bool
	limit int

	wait             bool
	project          string
	region           string
	jobID            string
	jobName          string
	poll             time.Duration
	dataflowEndpoint string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command: it parses args, writes the summary or the history to
// stdout and progress and errors to stderr, and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "runstatus: %v\nRun with --help for the flags.\n", err)
		return exitUsage
	}
	code, err := status(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "runstatus: %v\n", err)
	}
	return code
}

// parseFlags parses the flags into options and checks that they agree. The
// flags are a set of their own: the packages linked for the summary (Beam's)
// define flags such as --project in the global set.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("runstatus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.warehouse, "warehouse", "warehouse", "Local warehouse directory (the pipeline's --output) to read the run tables from, unless --bq_dataset is given.")
	fs.StringVar(&o.bqProject, "bq_project", "", "BigQuery: the project of the dataset holding the run tables.")
	fs.StringVar(&o.bqDataset, "bq_dataset", "", "BigQuery: the dataset holding the run tables (the pipeline's --bq_dataset); read with tabledata.list.")
	fs.StringVar(&o.bqEndpoint, "bq_endpoint", "", "BigQuery API endpoint, for tests and fakes: requests go there without credentials.")
	fs.StringVar(&o.runID, "run_id", "", "The run to print. Default: the run of the job waited for (runs.job_id), else the newest run.")
	fs.BoolVar(&o.list, "list", false, "Print the history instead: the newest runs, one line each, with their verdicts.")
	fs.IntVar(&o.limit, "limit", 20, "--list: how many runs to print.")
	fs.BoolVar(&o.wait, "wait", false, "First wait for the Dataflow job (--project, --region, and --job_id or --job_name) to end; a job that does not succeed exits 1.")
	fs.StringVar(&o.project, "project", "", "--wait: the Dataflow job's project.")
	fs.StringVar(&o.region, "region", "", "--wait: the Dataflow job's region.")
	fs.StringVar(&o.jobID, "job_id", "", "--wait: the Dataflow job id (what gcloud dataflow flex-template run prints).")
	fs.StringVar(&o.jobName, "job_name", "", "--wait without --job_id: the job name; the newest job of that name is waited for.")
	fs.DurationVar(&o.poll, "poll", 15*time.Second, "--wait: how often the job's state is read and printed.")
	fs.StringVar(&o.dataflowEndpoint, "dataflow_endpoint", "", "Dataflow API endpoint, for tests and fakes: requests go there without credentials.")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: runstatus [--warehouse DIR | --bq_project P --bq_dataset D] [--run_id ID | --list]
       runstatus --wait --project P --region R (--job_id J | --job_name N) --bq_project P --bq_dataset D [--run_id ID]

Prints a batch run's summary from the run tables (runs, run_outcomes,
run_partitions); exits 3 when the run did not reconcile, 1 on an error or a
Dataflow job that did not succeed.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	warehouseSet := false
	fs.Visit(func(f *flag.Flag) { warehouseSet = warehouseSet || f.Name == "warehouse" })
	return o, o.check(warehouseSet)
}

// check reports flags that contradict each other or lack their companions.
func (o options) check(warehouseSet bool) error {
	switch {
	case (o.bqProject == "") != (o.bqDataset == ""):
		return errors.New("give both --bq_project and --bq_dataset, or neither")
	case o.bqDataset != "" && warehouseSet:
		return errors.New("give --warehouse or --bq_dataset, not both")
	case o.list && (o.wait || o.runID != ""):
		return errors.New("--list prints the history: it takes neither --wait nor --run_id")
	case o.limit < 1:
		return fmt.Errorf("--limit %d: want at least 1", o.limit)
	case !o.wait && (o.jobID != "" || o.jobName != ""):
		return errors.New("--job_id and --job_name are for --wait")
	case o.wait && (o.project == "" || o.region == ""):
		return errors.New("--wait needs --project and --region")
	case o.wait && (o.jobID == "") == (o.jobName == ""):
		return errors.New("--wait needs one of --job_id and --job_name")
	case o.wait && o.poll <= 0:
		return fmt.Errorf("--poll %v: want a positive duration", o.poll)
	}
	return nil
}

// status waits for the job when asked, then prints the history or one run's
// summary, and returns the exit status.
func status(ctx context.Context, o options, stdout, stderr io.Writer) (int, error) {
	var jobID string
	if o.wait {
		var err error
		if jobID, err = waitForJob(ctx, o, stderr); err != nil {
			return exitFailed, err
		}
	}
	t, err := openTables(ctx, o)
	if err != nil {
		return exitFailed, err
	}
	defer t.close()
	runs, err := readRows[schemas.Run](ctx, t, "runs", time.Time{})
	if err != nil {
		return exitFailed, err
	}
	if o.list {
		printHistory(stdout, runs, o.limit)
		return exitOK, nil
	}
	run, err := pickRun(runs, o.runID, jobID)
	if err != nil {
		return exitFailed, err
	}
	a, err := readAccount(ctx, t, run)
	if err != nil {
		return exitFailed, err
	}
	s, notInOrder := summarize(a)
	s.Print(stdout)
	printPartitions(stdout, notInOrder)
	if run.JobID != "" {
		fmt.Fprintf(stdout, "Dataflow job %s\n", run.JobID)
	}
	if !s.Reconciled {
		return exitNotReconciled, nil
	}
	return exitOK, nil
}
