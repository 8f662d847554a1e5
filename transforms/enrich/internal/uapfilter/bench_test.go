package uapfilter

import (
	"syscall"
	"testing"
	"time"

	"github.com/ua-parser/uap-go/uaparser"

	"github.com/example/clickstream/transforms/enrich/enrichtest"
)

// BenchmarkParse parses distinct user agents in turn, each cold (the
// Parser has no cache, and uap-go's holds one user agent): the corpus
// (uap-core's test resources, rich in rare devices and crawlers) and
// enrichtest's browser-like agents. Besides wall time per user agent
// (ns/UA) it reports the process's CPU time per user agent (cpu-ns/UA),
// which other load on the machine inflates less.
func BenchmarkParse(b *testing.B) {
	p, corpus := setup(b)
	up, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		b.Fatal(err)
	}
	parsers := []struct {
		name  string
		parse func(string)
	}{
		{"uapfilter", func(ua string) { p.Parse(ua) }},
		{"uap-go", func(ua string) { up.ParseUserAgent(ua); up.ParseOs(ua); up.ParseDevice(ua) }},
	}
	sets := []struct {
		name string
		uas  []string
	}{
		{"corpus", corpus},
		{"browsers", enrichtest.UserAgents(12_000)},
	}
	for _, set := range sets {
		for _, parser := range parsers {
			b.Run(set.name+"/"+parser.name, func(b *testing.B) {
				cpu := cpuTime(b)
				i := 0
				for b.Loop() {
					parser.parse(set.uas[i%len(set.uas)])
					i++
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/UA")
				b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/UA")
			})
		}
	}
}

// cpuTime returns the CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
