package uapfilter

import (
	"testing"

	"github.com/ua-parser/uap-go/uaparser"
)

// BenchmarkParse parses the corpus's distinct user agents in turn, each
// cold: the Parser has no cache, and uap-go's holds one user agent.
func BenchmarkParse(b *testing.B) {
	p, uas := setup(b)
	run := func(b *testing.B, parse func(string)) {
		i := 0
		for b.Loop() {
			parse(uas[i%len(uas)])
			i++
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/UA")
	}
	b.Run("uapfilter", func(b *testing.B) {
		run(b, func(ua string) { p.Parse(ua) })
	})
	b.Run("uap-go", func(b *testing.B) {
		up, err := uaparser.New(uaparser.WithCacheSize(1))
		if err != nil {
			b.Fatal(err)
		}
		run(b, func(ua string) { up.ParseUserAgent(ua); up.ParseOs(ua); up.ParseDevice(ua) })
	})
}
