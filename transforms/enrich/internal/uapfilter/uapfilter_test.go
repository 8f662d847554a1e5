package uapfilter

import (
	"bufio"
	"compress/gzip"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ua-parser/uap-go/uaparser"
)

// corpus is ../../testdata/user_agents_corpus.txt.gz: distinct real user
// agents, one a line (see that folder's README).
var corpus = sync.OnceValues(func() ([]string, error) {
	f, err := os.Open("../../testdata/user_agents_corpus.txt.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var uas []string
	s := bufio.NewScanner(z)
	for s.Scan() {
		uas = append(uas, s.Text())
	}
	return uas, s.Err()
})

var parser = sync.OnceValues(New)

func setup(tb testing.TB) (*Parser, []string) {
	tb.Helper()
	p, err := parser()
	if err != nil {
		tb.Fatal(err)
	}
	uas, err := corpus()
	if err != nil {
		tb.Fatal(err)
	}
	return p, uas
}

// TestParseMatchesUAPGo compares every field of Parse with uap-go's
// parsers (the oracle) on the whole corpus.
func TestParseMatchesUAPGo(t *testing.T) {
	p, uas := setup(t)
	if len(uas) < 10_000 {
		t.Fatalf("corpus has %d user agents, want at least 10,000", len(uas))
	}
	oracle, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		t.Fatal(err)
	}
	var spiders, failures int
	for _, ua := range uas {
		got := p.Parse(ua)
		wantUA, wantOS, wantDevice := oracle.ParseUserAgent(ua), oracle.ParseOs(ua), oracle.ParseDevice(ua)
		if *got.UserAgent != *wantUA || *got.Os != *wantOS || *got.Device != *wantDevice {
			failures++
			if failures <= 10 {
				t.Errorf("%q:\n got %+v %+v %+v\nwant %+v %+v %+v", ua, *got.UserAgent, *got.Os, *got.Device, *wantUA, *wantOS, *wantDevice)
			}
		}
		if *p.ParseDevice(ua) != *wantDevice {
			t.Errorf("%q: ParseDevice %+v, want %+v", ua, *p.ParseDevice(ua), *wantDevice)
		}
		if wantDevice.Family == "Spider" {
			spiders++
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d user agents differ from uap-go", failures, len(uas))
	}
	t.Logf("%d user agents identical to uap-go, %d of them Spider", len(uas)-failures, spiders)
}

// TestChecksHoldOnMatches checks the literal analysis where it matters:
// each regexp the Parser runs (whole patterns and rewrites) that matches a
// user agent of the corpus (every 4th: the test runs all regexps) has its
// check hold.
func TestChecksHoldOnMatches(t *testing.T) {
	p, uas := setup(t)
	for n, ua := range uas {
		if n%4 != 0 {
			continue
		}
		found := p.found(ua)
		for _, k := range []*kind{&p.ua, &p.os, &p.device} {
			for _, pt := range k.parts {
				if pt.re.MatchString(ua) && !pt.check.holds(found) {
					t.Errorf("%q matches %q but its check fails", ua, pt.re)
				}
			}
		}
	}
}

// TestFound compares the automaton with strings.Contains for every
// literal on the corpus.
func TestFound(t *testing.T) {
	p, uas := setup(t)
	lits := make([]string, p.nLiteral)
	for _, k := range []*kind{&p.ua, &p.os, &p.device} {
		for _, pt := range k.parts {
			req, err := required(pt.re.String())
			if err != nil {
				t.Fatal(err)
			}
			for i, clause := range req {
				for j, lit := range clause {
					lits[pt.check[i][j]] = lit
				}
			}
		}
	}
	for n, ua := range uas {
		if n%4 != 0 {
			continue
		}
		lower := string(folded(ua, nil))
		found := p.found(ua)
		for id, lit := range lits {
			if found[id] != strings.Contains(lower, lit) {
				t.Fatalf("%q: literal %q found %v", ua, lit, found[id])
			}
		}
	}
}
