package uapfilter

import (
	"bufio"
	"compress/gzip"
	"fmt"
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

// TestParseMatchesUAPGo compares every field of Parse and ParseDevice
// with uap-go's parsers (the oracle) on the whole corpus, in parallel
// shards (uap-go takes about a millisecond a user agent).
func TestParseMatchesUAPGo(t *testing.T) {
	p, uas := setup(t)
	if len(uas) < 10_000 {
		t.Fatalf("corpus has %d user agents, want at least 10,000", len(uas))
	}
	oracle, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		t.Fatal(err)
	}
	const shards = 4
	for s := range shards {
		t.Run(fmt.Sprint("shard", s), func(t *testing.T) {
			t.Parallel()
			var spiders, failures int
			for i := s; i < len(uas); i += shards {
				ua := uas[i]
				got := p.Parse(ua)
				wantUA, wantOS, wantDevice := oracle.ParseUserAgent(ua), oracle.ParseOs(ua), oracle.ParseDevice(ua)
				if *got.UserAgent != *wantUA || *got.Os != *wantOS || *got.Device != *wantDevice {
					failures++
					if failures <= 10 {
						t.Errorf("%q:\n got %+v %+v %+v\nwant %+v %+v %+v", ua, *got.UserAgent, *got.Os, *got.Device, *wantUA, *wantOS, *wantDevice)
					}
				}
				if d := p.ParseDevice(ua); *d != *wantDevice {
					t.Errorf("%q: ParseDevice %+v, want %+v", ua, *d, *wantDevice)
				}
				if wantDevice.Family == "Spider" {
					spiders++
				}
			}
			if failures > 0 {
				t.Errorf("%d user agents differ from uap-go", failures)
			}
			t.Logf("%d user agents compared, %d of them Spider", (len(uas)-s+shards-1)/shards, spiders)
		})
	}
}

// TestRequirementsHoldOnMatches checks the literal analysis where it
// matters: each regexp the Parser runs (whole patterns and rewrites) that
// matches a user agent of the corpus (every 4th: the test runs all
// regexps) is a candidate for it.
func TestRequirementsHoldOnMatches(t *testing.T) {
	p, uas := setup(t)
	for n, ua := range uas {
		if n%4 != 0 {
			continue
		}
		c := p.index.lookup(ua)
		for _, k := range []*kind{&p.ua, &p.os, &p.device} {
			for _, pt := range k.parts {
				if pt.re.MatchString(ua) && !p.index.has(c, pt.id) {
					t.Errorf("%q matches %q but is no candidate", ua, pt.re)
				}
			}
		}
		p.index.release(c)
	}
}

// TestLookupFindsLiterals compares the literals a lookup sees with
// strings.Contains on the corpus: raw literals in the user agent, folded
// ones in it folded.
func TestLookupFindsLiterals(t *testing.T) {
	p, uas := setup(t)
	for n, ua := range uas {
		if n%4 != 0 {
			continue
		}
		lower := string(folded(nil, ua))
		c := p.index.lookup(ua)
		for lit, id := range p.index.ids {
			text := ua
			if lit.fold {
				text = lower
			}
			if c.seen.has(id) != strings.Contains(text, lit.s) {
				t.Fatalf("%q: literal %+v seen %v", ua, lit, c.seen.has(id))
			}
		}
		p.index.release(c)
	}
}

// TestParseConcurrently parses from several goroutines at once (the
// Parser's lookups share a pool) and expects the results of one.
func TestParseConcurrently(t *testing.T) {
	p, uas := setup(t)
	uas = uas[:min(len(uas), 2000)]
	want := make([]uaparser.Client, len(uas))
	for i, ua := range uas {
		want[i] = *p.Parse(ua)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(uas); i += 2 {
				got := p.Parse(uas[i])
				if *got.UserAgent != *want[i].UserAgent || *got.Os != *want[i].Os || *got.Device != *want[i].Device {
					t.Errorf("%q: concurrent parse differs", uas[i])
				}
			}
		})
	}
	wg.Wait()
}

// variants returns user agents the corpus does not spell: ua in upper and
// lower case, with the runes that fold to ASCII letters (the Kelvin sign,
// the long s) in place of k and s, with invalid UTF-8, and cut in half.
func variants(ua string) []string {
	return []string{
		strings.ToUpper(ua),
		strings.ToLower(ua),
		strings.NewReplacer("k", "\u212A", "K", "\u212A", "s", "\u017F").Replace(ua),
		strings.ReplaceAll(ua, " ", "\xff "),
		ua[:len(ua)/2],
	}
}

// TestVariantsMatchUAPGo compares Parse with uap-go on variants of every
// 16th user agent of the corpus: case, folding and encoding are where the
// literal analysis could go wrong and real user agents rarely go.
func TestVariantsMatchUAPGo(t *testing.T) {
	p, uas := setup(t)
	oracle, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		t.Fatal(err)
	}
	for n, ua := range uas {
		if n%16 != 0 {
			continue
		}
		for _, v := range variants(ua) {
			got := p.Parse(v)
			wantUA, wantOS, wantDevice := oracle.ParseUserAgent(v), oracle.ParseOs(v), oracle.ParseDevice(v)
			if *got.UserAgent != *wantUA || *got.Os != *wantOS || *got.Device != *wantDevice {
				t.Errorf("%q:\n got %+v %+v %+v\nwant %+v %+v %+v", v, *got.UserAgent, *got.Os, *got.Device, *wantUA, *wantOS, *wantDevice)
			}
		}
	}
}

// FuzzParse compares Parse with uap-go on arbitrary strings, seeded with
// variants of a few user agents of the corpus.
func FuzzParse(f *testing.F) {
	p, uas := setup(f)
	oracle, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		f.Fatal(err)
	}
	for n := 0; n < len(uas); n += 4096 {
		f.Add(uas[n])
		for _, v := range variants(uas[n]) {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got := p.Parse(ua)
		wantUA, wantOS, wantDevice := oracle.ParseUserAgent(ua), oracle.ParseOs(ua), oracle.ParseDevice(ua)
		if *got.UserAgent != *wantUA || *got.Os != *wantOS || *got.Device != *wantDevice {
			t.Errorf("%q:\n got %+v %+v %+v\nwant %+v %+v %+v", ua, *got.UserAgent, *got.Os, *got.Device, *wantUA, *wantOS, *wantDevice)
		}
	})
}
