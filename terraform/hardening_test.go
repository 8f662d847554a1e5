package terraform

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// What Google computes or documents for the test project: its number and
// the service agents named after it
// (https://cloud.google.com/storage/docs/projects#service-agents,
// https://cloud.google.com/bigquery/docs/customer-managed-encryption,
// https://cloud.google.com/pubsub/docs/encryption).
const (
	testProjectNumber = "123456789012"
	gcsAgent          = "serviceAccount:service-" + testProjectNumber + "@gs-project-accounts.iam.gserviceaccount.com"
	bqAgent           = "serviceAccount:bq-" + testProjectNumber + "@bigquery-encryption.iam.gserviceaccount.com"
	pubsubAgent       = "serviceAccount:service-" + testProjectNumber + "@gcp-sa-pubsub.iam.gserviceaccount.com"
	testKey           = "projects/kms-project/locations/europe-west1/keyRings/clickstream/cryptoKeys/data"
)

// dataSources are the data sources' values, as the provider would read them.
func dataSources() map[string]cty.Value {
	account := func(member string) cty.Value {
		return cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"email":         cty.StringVal(strings.TrimPrefix(member, "serviceAccount:")),
			"email_address": cty.StringVal(strings.TrimPrefix(member, "serviceAccount:")),
			"member":        cty.StringVal(member),
		})})
	}
	return map[string]cty.Value{
		"google_project": cty.ObjectVal(map[string]cty.Value{"this": cty.ObjectVal(map[string]cty.Value{
			"number": cty.StringVal(testProjectNumber),
		})}),
		"google_storage_project_service_account":  cty.ObjectVal(map[string]cty.Value{"this": account(gcsAgent)}),
		"google_bigquery_default_service_account": cty.ObjectVal(map[string]cty.Value{"this": account(bqAgent)}),
	}
}

// computed returns what the provider computes for the resources whose
// attributes the configuration refers to.
func computed(typ string, args map[string]cty.Value) map[string]cty.Value {
	arg := func(name string) string {
		if v, ok := args[name]; ok && v.Type() == cty.String && !v.IsNull() {
			return v.AsString()
		}
		return ""
	}
	project := testVars["project_id"].AsString()
	switch typ {
	case "google_service_account":
		email := arg("account_id") + "@" + project + ".iam.gserviceaccount.com"
		return map[string]cty.Value{"email": cty.StringVal(email), "member": cty.StringVal("serviceAccount:" + email)}
	case "google_pubsub_topic":
		return map[string]cty.Value{"id": cty.StringVal("projects/" + project + "/topics/" + arg("name"))}
	case "google_pubsub_subscription":
		return map[string]cty.Value{"id": cty.StringVal("projects/" + project + "/subscriptions/" + arg("name"))}
	case "google_secret_manager_secret":
		return map[string]cty.Value{"id": cty.StringVal("projects/" + project + "/secrets/" + arg("secret_id"))}
	}
	return nil
}

// rights is what a Cloud Storage role allows on a bucket's objects
// (https://cloud.google.com/storage/docs/access-control/iam-roles).
// Replacing an object, like deleting it, needs storage.objects.delete.
type rights struct{ bucket, read, create, replace bool }

var storageRoles = map[string]rights{
	"roles/storage.objectViewer":       {read: true},
	"roles/storage.legacyBucketReader": {bucket: true},
	"roles/storage.legacyObjectReader": {read: true},
	"roles/storage.objectCreator":      {create: true},
	"roles/storage.objectUser":         {read: true, create: true, replace: true},
	"roles/storage.objectAdmin":        {read: true, create: true, replace: true},
	"roles/storage.legacyBucketWriter": {bucket: true, create: true, replace: true},
	"roles/storage.legacyBucketOwner":  {bucket: true, create: true, replace: true},
	"roles/storage.admin":              {bucket: true, read: true, create: true, replace: true},
}

// byType returns the instances of a resource type.
func byType(insts []instance, typ string) []instance {
	var out []instance
	for _, in := range insts {
		if in.typ == typ {
			out = append(out, in)
		}
	}
	return out
}

func find(insts []instance, addr string) (instance, bool) {
	for _, in := range insts {
		if in.addr == addr {
			return in, true
		}
	}
	return instance{}, false
}

// checkStorage: the worker account (the workers and the template launcher
// VM) cannot write what a future job runs (the templates bucket), cannot
// replace or delete what a job staged, and may overwrite or delete only in
// its temp bucket; no project-wide role gets around the bucket grants.
func checkStorage(insts []instance) []string {
	worker, ok := find(insts, "google_service_account.worker")
	if !ok {
		return []string{"no google_service_account.worker"}
	}
	member := str(worker.value, "member")
	buckets := map[string]string{} // name -> resource address
	for _, b := range byType(insts, "google_storage_bucket") {
		buckets[str(b.value, "name")] = b.addr
	}
	var p []string
	got := map[string]rights{} // the worker's rights per bucket address
	for _, g := range byType(insts, "google_storage_bucket_iam_member") {
		role, bucket := str(g.value, "role"), buckets[str(g.value, "bucket")]
		r, known := storageRoles[role]
		if !known {
			p = append(p, fmt.Sprintf("%s: role %s is not in storageRoles: add what it allows", g.addr, role))
		}
		if str(g.value, "member") != member {
			continue
		}
		have := got[bucket]
		got[bucket] = rights{have.bucket || r.bucket, have.read || r.read, have.create || r.create, have.replace || r.replace}
	}
	for _, b := range []string{"templates", "staging", "temp"} {
		if _, ok := find(insts, "google_storage_bucket."+b); !ok {
			p = append(p, "no google_storage_bucket."+b+": the template, what launches stage and what workers write need a bucket each")
		}
	}
	tmpl, staging, temp := got["google_storage_bucket.templates"], got["google_storage_bucket.staging"], got["google_storage_bucket.temp"]
	if tmpl.create || tmpl.replace {
		p = append(p, "the worker can write the templates bucket: a job could change what the next jobs run")
	}
	if !staging.create || !staging.read || !staging.bucket {
		p = append(p, fmt.Sprintf("the worker, as template launcher, cannot stage a job (needs create, read and storage.buckets.get on staging, has %+v)", staging))
	}
	if !temp.create || !temp.replace || !temp.read {
		p = append(p, fmt.Sprintf("the worker cannot use its temp bucket (has %+v)", temp))
	}
	for bucket, r := range got {
		if r.replace && bucket != "google_storage_bucket.temp" {
			p = append(p, fmt.Sprintf("the worker can replace or delete objects in %s", bucket))
		}
	}
	for _, g := range byType(insts, "google_project_iam_member") {
		role := str(g.value, "role")
		if str(g.value, "member") == member && (strings.HasPrefix(role, "roles/storage.") || role == "roles/owner" || role == "roles/editor") {
			p = append(p, fmt.Sprintf("%s: the worker's project-wide %s gets around the bucket grants", g.addr, role))
		}
	}
	return p
}

// checkDataset: the dataset lists its whole access, in BigQuery's legacy
// role names, exactly: project owners own it, the worker writes it, readers
// read it, and nobody else (no default entries, no IAM resources fighting
// the list).
func checkDataset(insts []instance, readers []string) []string {
	var p []string
	for _, typ := range []string{"google_bigquery_dataset_iam_member", "google_bigquery_dataset_iam_binding", "google_bigquery_dataset_iam_policy", "google_bigquery_dataset_access"} {
		for _, in := range byType(insts, typ) {
			p = append(p, fmt.Sprintf("%s would fight the dataset's access blocks", in.addr))
		}
	}
	worker, _ := find(insts, "google_service_account.worker")
	want := []string{"OWNER specialGroup:projectOwners", "WRITER user:" + str(worker.value, "email")}
	for _, r := range readers {
		kind, id, _ := strings.Cut(r, ":")
		if kind == "serviceAccount" {
			kind = "user"
		}
		want = append(want, "READER "+kind+":"+id)
	}
	slices.Sort(want)
	for _, ds := range byType(insts, "google_bigquery_dataset") {
		var entries []string
		for _, a := range blocks(ds.value, "access") {
			for field, kind := range map[string]string{"special_group": "specialGroup", "user_by_email": "user", "group_by_email": "group", "domain": "domain"} {
				if id := str(a, field); id != "" {
					entries = append(entries, str(a, "role")+" "+kind+":"+id)
				}
			}
		}
		slices.Sort(entries)
		if len(entries) == 0 {
			p = append(p, fmt.Sprintf("%s has no access block: BigQuery's default access applies", ds.addr))
		} else if !slices.Equal(entries, want) {
			p = append(p, fmt.Sprintf("%s access %q, want %q", ds.addr, entries, want))
		}
	}
	return p
}

// checkRetention: each partitioned table expires its partitions after
// want[table] days, and never when the table is not in want.
func checkRetention(insts []instance, want map[string]int64) []string {
	var p []string
	for _, t := range byType(insts, "google_bigquery_table") {
		part := blocks(t.value, "time_partitioning")
		if len(part) == 0 {
			continue
		}
		table := str(t.value, "table_id")
		days, expires := want[table]
		ms := get(part[0], "expiration_ms")
		if ms == cty.NilVal || ms.IsNull() {
			if expires {
				p = append(p, fmt.Sprintf("%s: partitions never expire, want %d days", table, days))
			}
			continue
		}
		got, _ := ms.AsBigFloat().Int64()
		switch {
		case !expires:
			p = append(p, fmt.Sprintf("%s: partitions expire after %d ms, want never", table, got))
		case got != days*86400000:
			p = append(p, fmt.Sprintf("%s: partitions expire after %d ms, want %d days", table, got, days))
		}
	}
	return p
}

// checkCMEK: with a key, every bucket, the dataset, every table and the
// topic use it, each created after the grant that lets Google's service
// agent use the key, and exactly those agents get it; without one, nothing
// names a key.
func checkCMEK(insts []instance, key string) []string {
	var p []string
	uses := func(in instance, path string) {
		got := str(in.value, path)
		if got != key {
			p = append(p, fmt.Sprintf("%s: %s = %q, want %q", in.addr, path, got, key))
		}
		if key != "" && !slices.ContainsFunc(in.dependsOn, func(d string) bool { return strings.HasPrefix(d, "google_kms_crypto_key_iam_member.") }) {
			p = append(p, fmt.Sprintf("%s does not depend on the key's grant: its creation may fail", in.addr))
		}
	}
	for _, in := range byType(insts, "google_storage_bucket") {
		uses(in, "encryption.0.default_kms_key_name")
	}
	for _, in := range byType(insts, "google_bigquery_dataset") {
		uses(in, "default_encryption_configuration.0.kms_key_name")
	}
	for _, in := range byType(insts, "google_bigquery_table") {
		if len(blocks(in.value, "view")) == 0 {
			uses(in, "encryption_configuration.0.kms_key_name")
		}
	}
	for _, in := range byType(insts, "google_pubsub_topic") {
		uses(in, "kms_key_name")
	}
	var granted, want []string
	for _, g := range byType(insts, "google_kms_crypto_key_iam_member") {
		if str(g.value, "crypto_key_id") == key && str(g.value, "role") == "roles/cloudkms.cryptoKeyEncrypterDecrypter" {
			granted = append(granted, str(g.value, "member"))
		} else {
			p = append(p, fmt.Sprintf("%s grants %s on %s", g.addr, str(g.value, "role"), str(g.value, "crypto_key_id")))
		}
	}
	if key != "" {
		want = []string{bqAgent, gcsAgent, pubsubAgent}
		slices.Sort(want)
	}
	slices.Sort(granted)
	if !slices.Equal(granted, want) {
		p = append(p, fmt.Sprintf("key granted to %q, want %q", granted, want))
	}
	return p
}

// checkSubscriptions: every subscription says it never expires; Pub/Sub's
// default deletes one after 31 days without a subscriber.
func checkSubscriptions(insts []instance) []string {
	var p []string
	for _, s := range byType(insts, "google_pubsub_subscription") {
		policy := blocks(s.value, "expiration_policy")
		if len(policy) != 1 || get(policy[0], "ttl") == cty.NilVal || str(policy[0], "ttl") != "" {
			p = append(p, fmt.Sprintf("%s: no expiration_policy with ttl = \"\" (never expires)", s.addr))
		}
	}
	return p
}

// checkUnwritableAlert: an alert policy fires on any increase of the Beam
// counter unwritable_rows, notifies the configured channels and says what
// to do.
func checkUnwritableAlert(insts []instance, channels []string) []string {
	for _, a := range byType(insts, "google_monitoring_alert_policy") {
		for _, c := range blocks(a.value, "conditions") {
			q := str(c, "condition_prometheus_query_language.0.query")
			if !strings.Contains(q, `metric_name="unwritable_rows"`) {
				continue
			}
			var p []string
			for _, w := range []string{"dataflow_googleapis_com:job_user_counter{", "increase(", "> 0", "offset"} {
				if !strings.Contains(q, w) {
					p = append(p, fmt.Sprintf("%s: query lacks %q: %s", a.addr, w, q))
				}
			}
			if got := strs(a.value, "notification_channels"); !slices.Equal(got, channels) {
				p = append(p, fmt.Sprintf("%s notifies %q, want %q", a.addr, got, channels))
			}
			if str(a.value, "documentation.0.content") == "" {
				p = append(p, fmt.Sprintf("%s has no documentation", a.addr))
			}
			return p
		}
	}
	return []string{"no alert policy watches the counter unwritable_rows"}
}

// checkHardening plans the module with its defaults and with every option
// set, and returns what breaks the rules above, and any precondition that
// fails.
func checkHardening(m *module) []string {
	var p []string
	readers := []string{"group:analysts@example.com", "user:ana@example.com", "serviceAccount:bi@other.iam.gserviceaccount.com", "domain:example.com"}
	channels := []string{"projects/test-project/notificationChannels/1"}
	for _, run := range []struct {
		name      string
		vars      map[string]cty.Value
		readers   []string
		channels  []string
		key       string
		retention map[string]int64
	}{
		{name: "defaults", retention: map[string]int64{"dead_letter": 90}},
		{
			name: "all options",
			vars: map[string]cty.Value{
				"kms_key_name":          cty.StringVal(testKey),
				"dataset_readers":       stringList(readers),
				"notification_channels": stringList(channels),
				"partition_expiration_overrides": cty.MapVal(map[string]cty.Value{
					"dead_letter": cty.NumberIntVal(7), "fact_events": cty.NumberIntVal(400),
				}),
			},
			readers: readers, channels: channels, key: testKey,
			retention: map[string]int64{"dead_letter": 7, "fact_events": 400},
		},
	} {
		vars := map[string]cty.Value{}
		for k, v := range testVars {
			vars[k] = v
		}
		for k, v := range run.vars {
			vars[k] = v
		}
		_, insts := plan(m, vars, dataSources(), computed)
		var found []string
		found = append(found, checkStorage(insts)...)
		found = append(found, checkDataset(insts, run.readers)...)
		found = append(found, checkRetention(insts, run.retention)...)
		found = append(found, checkCMEK(insts, run.key)...)
		found = append(found, checkSubscriptions(insts)...)
		found = append(found, checkUnwritableAlert(insts, run.channels)...)
		for _, in := range insts {
			for _, f := range in.failed {
				found = append(found, fmt.Sprintf("%s: precondition failed: %s", in.addr, f))
			}
		}
		for _, f := range found {
			p = append(p, run.name+": "+f)
		}
	}
	return p
}

func stringList(values []string) cty.Value {
	var vs []cty.Value
	for _, v := range values {
		vs = append(vs, cty.StringVal(v))
	}
	return cty.ListVal(vs)
}

// TestHardening checks the repository's configuration against the rules of
// checkHardening.
func TestHardening(t *testing.T) {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	files, err := readModuleDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkHardening(load(t, dir, filepath.Dir(dir), files)) {
		t.Error(p)
	}
}

// TestHardeningCatchesRegressions runs checkHardening on copies of the
// configuration broken in the ways it must catch.
func TestHardeningCatchesRegressions(t *testing.T) {
	src, err := readModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit map[string][2]string // file -> {old, new}, first occurrence
		add  string               // an extra .tf file
		want []string             // each matches a problem, and each problem matches one
	}{
		{name: "configuration as it is"},
		{
			name: "the worker may write the templates",
			edit: map[string][2]string{"iam.tf": {
				"bucket = google_storage_bucket.templates.name\n  role   = \"roles/storage.objectViewer\"",
				"bucket = google_storage_bucket.templates.name\n  role   = \"roles/storage.objectAdmin\"",
			}},
			want: []string{"the worker can write the templates bucket", "the worker can replace or delete objects in google_storage_bucket.templates"},
		},
		{
			name: "the worker may replace what a job staged",
			edit: map[string][2]string{"iam.tf": {`toset(["roles/storage.objectCreator",`, `toset(["roles/storage.objectUser",`}},
			want: []string{"the worker can replace or delete objects in google_storage_bucket.staging"},
		},
		{
			name: "the worker cannot stage",
			edit: map[string][2]string{"iam.tf": {`"roles/storage.objectCreator", `, ``}},
			want: []string{"the worker, as template launcher, cannot stage a job"},
		},
		{
			name: "a project-wide storage role",
			edit: map[string][2]string{"iam.tf": {`"roles/bigquery.jobUser"]`, `"roles/bigquery.jobUser", "roles/storage.objectUser"]`}},
			want: []string{`google_project_iam_member.worker["roles/storage.objectUser"]: the worker's project-wide roles/storage.objectUser`},
		},
		{
			name: "an unknown storage role",
			edit: map[string][2]string{"iam.tf": {`"roles/storage.legacyBucketReader"]`, `"roles/storage.bucketViewer"]`}},
			want: []string{"role roles/storage.bucketViewer is not in storageRoles", "cannot stage a job"},
		},
		{
			name: "a dataset IAM member next to the access list",
			add: `resource "google_bigquery_dataset_iam_member" "worker" {
  dataset_id = google_bigquery_dataset.clickstream.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = local.worker
}`,
			want: []string{"google_bigquery_dataset_iam_member.worker would fight the dataset's access blocks"},
		},
		{
			name: "project readers read the dataset",
			edit: map[string][2]string{"bigquery.tf": {
				`{ role = "OWNER", special_group = "projectOwners", user_by_email = null, group_by_email = null, domain = null },`,
				`{ role = "OWNER", special_group = "projectOwners", user_by_email = null, group_by_email = null, domain = null },
      { role = "READER", special_group = "projectReaders", user_by_email = null, group_by_email = null, domain = null },`,
			}},
			want: []string{`"READER specialGroup:projectReaders"`},
		},
		{
			name: "the worker's dataset role in the new IAM form",
			edit: map[string][2]string{"bigquery.tf": {`{ role = "WRITER",`, `{ role = "roles/bigquery.dataEditor",`}},
			want: []string{`google_bigquery_dataset.clickstream access`},
		},
		{
			name: "no access list",
			edit: map[string][2]string{"bigquery.tf": {`dynamic "access" {`, `dynamic "access_list" {`}},
			want: []string{"google_bigquery_dataset.clickstream has no access block"},
		},
		{
			name: "dead_letter kept forever",
			edit: map[string][2]string{"bigquery.tf": {
				`lookup(var.partition_expiration_overrides, name, var.partition_expiration_days)`, `var.partition_expiration_days`,
			}},
			want: []string{"dead_letter: partitions never expire, want 90 days", "dead_letter: partitions never expire, want 7 days", "fact_events: partitions never expire, want 400 days"},
		},
		{
			name: "other tables' retention changed",
			edit: map[string][2]string{"variables.tf": {"type        = number\n  default     = null\n\n  validation {\n    condition     = var.partition_expiration_days", "type        = number\n  default     = 400\n\n  validation {\n    condition     = var.partition_expiration_days"}},
			want: []string{": partitions expire after 34560000000 ms, want never"},
		},
		{
			name: "a bucket without the key",
			edit: map[string][2]string{"storage.tf": {`dynamic "encryption" {`, `dynamic "encryption_off" {`}},
			want: []string{`google_storage_bucket.templates: encryption.0.default_kms_key_name = "", want "` + testKey},
		},
		{
			name: "tables without the key",
			edit: map[string][2]string{"bigquery.tf": {`dynamic "encryption_configuration" {`, `dynamic "encryption_off" {`}},
			want: []string{`google_bigquery_table.table["fact_events"]: encryption_configuration.0.kms_key_name = ""`, `encryption_configuration.0.kms_key_name = ""`},
		},
		{
			name: "the topic without the key",
			edit: map[string][2]string{"pubsub.tf": {"  kms_key_name = var.kms_key_name\n", ""}},
			want: []string{`google_pubsub_topic.events: kms_key_name = "", want "` + testKey},
		},
		{
			name: "the topic created before its grant",
			edit: map[string][2]string{"pubsub.tf": {`depends_on = [google_project_service.service, google_kms_crypto_key_iam_member.agent]`, `depends_on = [google_project_service.service]`}},
			want: []string{"google_pubsub_topic.events does not depend on the key's grant"},
		},
		{
			name: "the Pub/Sub agent not granted the key",
			edit: map[string][2]string{"kms.tf": {"    pubsub   = local.pubsub_agent\n", ""}},
			want: []string{"key granted to"},
		},
		{
			name: "the pipeline's subscription may expire",
			edit: map[string][2]string{"pubsub.tf": {`ttl = ""`, `ttl = "2678400s"`}},
			want: []string{`google_pubsub_subscription.pipeline: no expiration_policy with ttl = ""`},
		},
		{
			name: "the alert watches another counter",
			edit: map[string][2]string{"monitoring.tf": {`metric_name=\"unwritable_rows\"`, `metric_name=\"unwritable\"`}},
			want: []string{"no alert policy watches the counter unwritable_rows"},
		},
		{
			name: "the alert misses a counter's first report",
			edit: map[string][2]string{"monitoring.tf": {"        or\n        (${local.unwritable_rows} > 0 unless ${local.unwritable_rows} offset 10m)\n", ""}},
			want: []string{`google_monitoring_alert_policy.unwritable_rows: query lacks "offset"`},
		},
		{
			name: "the alert notifies nobody",
			edit: map[string][2]string{"monitoring.tf": {
				"refused even as dead letters\"\n  combiner              = \"OR\"\n  notification_channels = var.notification_channels",
				"refused even as dead letters\"\n  combiner              = \"OR\"\n  notification_channels = []",
			}},
			want: []string{`google_monitoring_alert_policy.unwritable_rows notifies [], want ["projects/test-project/notificationChannels/1"]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "terraform")
			files := map[string][]byte{}
			for name, b := range src {
				files[name] = b
			}
			for name, ed := range tt.edit {
				if !strings.Contains(string(files[name]), ed[0]) {
					t.Fatalf("%s no longer contains %q: update this test", name, ed[0])
				}
				files[name] = []byte(strings.Replace(string(files[name]), ed[0], ed[1], 1))
			}
			if tt.add != "" {
				files["zz_added.tf"] = []byte(tt.add)
			}
			for name, b := range files {
				writeFile(t, filepath.Join(dir, name), string(b))
			}
			copyDir(t, "../schemas/tables", filepath.Join(root, "schemas", "tables"))
			problems := checkHardening(load(t, dir, root, files))
			for _, w := range tt.want {
				if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, w) }) {
					t.Errorf("no problem contains %q", w)
				}
			}
			for _, p := range problems {
				if !slices.ContainsFunc(tt.want, func(w string) bool { return strings.Contains(p, w) }) {
					t.Errorf("unexpected problem: %s", p)
				}
			}
		})
	}
}

// TestVariableValidation checks that the variables of the hardening options
// refuse what they must and accept what they should.
func TestVariableValidation(t *testing.T) {
	files, err := readModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	e := newEvaluator(load(t, ".", "..", files), testVars)
	number := cty.NumberIntVal
	tests := []struct {
		name  string
		value cty.Value
		ok    bool
	}{
		{"partition_expiration_overrides", cty.MapVal(map[string]cty.Value{"dead_letter": number(30)}), true},
		{"partition_expiration_overrides", cty.MapVal(map[string]cty.Value{"dead_letter": number(30), "fact_events": number(400)}), true},
		{"partition_expiration_overrides", cty.MapVal(map[string]cty.Value{"fact_events": number(400)}), false},
		{"partition_expiration_overrides", cty.MapValEmpty(cty.Number), false},
		{"partition_expiration_overrides", cty.MapVal(map[string]cty.Value{"dead_letter": number(0)}), false},
		{"kms_key_name", cty.NullVal(cty.String), true},
		{"kms_key_name", cty.StringVal(testKey), true},
		{"kms_key_name", cty.StringVal("data"), false},
		{"kms_key_name", cty.StringVal(testKey + "/cryptoKeyVersions/1"), false},
		{"dataset_readers", stringList([]string{"group:analysts@example.com", "domain:example.com"}), true},
		{"dataset_readers", stringList([]string{"analysts@example.com"}), false},
		{"dataset_readers", stringList([]string{"allAuthenticatedUsers"}), false},
		{"staging_retention_days", number(90), true},
		{"staging_retention_days", number(1), false},
	}
	for _, tt := range tests {
		failed := e.validate(tt.name, tt.value)
		if (len(failed) == 0) != tt.ok {
			t.Errorf("%s = %#v: validation errors %q, want ok = %v", tt.name, tt.value, failed, tt.ok)
		}
	}
}

// TestPreconditions plans with values that only the preconditions refuse.
func TestPreconditions(t *testing.T) {
	files, err := readModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	m := load(t, ".", "..", files)
	tests := []struct {
		name string
		vars map[string]cty.Value
		want string // a failing precondition's message; "" for none
	}{
		{"key in the region", map[string]cty.Value{"kms_key_name": cty.StringVal(testKey)}, ""},
		{
			"key in another region",
			map[string]cty.Value{"kms_key_name": cty.StringVal(strings.Replace(testKey, "europe-west1", "us-east1", 1))},
			"kms_key_name must be a key in var.region",
		},
		{
			"override of a table that does not exist",
			map[string]cty.Value{"partition_expiration_overrides": cty.MapVal(map[string]cty.Value{"dead_letter": cty.NumberIntVal(90), "dead_letters": cty.NumberIntVal(30)})},
			"Every key of partition_expiration_overrides must name a table",
		},
	}
	for _, tt := range tests {
		vars := map[string]cty.Value{}
		for k, v := range testVars {
			vars[k] = v
		}
		for k, v := range tt.vars {
			vars[k] = v
		}
		_, insts := plan(m, vars, dataSources(), computed)
		var failed []string
		for _, in := range insts {
			failed = append(failed, in.failed...)
		}
		if tt.want == "" && len(failed) > 0 || tt.want != "" && !slices.ContainsFunc(failed, func(f string) bool { return strings.Contains(f, tt.want) }) {
			t.Errorf("%s: failed preconditions %q, want %q", tt.name, failed, tt.want)
		}
	}
}
