package enrich

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current code")

// readLines returns the lines of a testdata file, skipping blank and # lines.
func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := sc.Text(); strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// checkGolden compares one JSON object per record with testdata/name, or
// rewrites the file under -update.
func checkGolden(t *testing.T, name string, records []any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, r := range records {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	wantLines := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
	if len(got) != len(wantLines) {
		t.Fatalf("%s: %d records, golden has %d (run with -update after checking the change)", name, len(got), len(wantLines))
	}
	for i := range got {
		if got[i] != wantLines[i] {
			t.Errorf("%s record %d:\n got %s\nwant %s", name, i+1, got[i], wantLines[i])
		}
	}
}

func TestPagesGolden(t *testing.T) {
	type record struct {
		URL  string `json:"url"`
		Page Page   `json:"page"`
	}
	var records []any
	for _, u := range readLines(t, "pages.txt") {
		records = append(records, record{URL: u, Page: ParsePage(u)})
	}
	checkGolden(t, "pages.golden", records)
}

func TestTrafficGolden(t *testing.T) {
	c, err := NewClassifier([]string{"example.com", "example-pay.com"})
	if err != nil {
		t.Fatal(err)
	}
	type record struct {
		PageURL      string  `json:"page_url"`
		Referrer     string  `json:"referrer"`
		ReferrerHost string  `json:"referrer_host"`
		Traffic      Traffic `json:"traffic"`
	}
	var records []any
	for _, l := range readLines(t, "traffic.tsv") {
		page, ref, _ := strings.Cut(l, "\t")
		host, traffic := c.Classify(ParsePage(page), ref)
		records = append(records, record{PageURL: page, Referrer: ref, ReferrerHost: host, Traffic: traffic})
	}
	checkGolden(t, "traffic.golden", records)
}

func TestUserAgentsGolden(t *testing.T) {
	type record struct {
		UA     string `json:"user_agent"`
		Device Device `json:"device"`
	}
	var records []any
	for _, ua := range readLines(t, "user_agents.txt") {
		records = append(records, record{UA: ua, Device: ParseUserAgent(ua)})
	}
	checkGolden(t, "user_agents.golden", records)
}
