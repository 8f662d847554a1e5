// Package enrichtest provides test data for benchmarks of the enrichment
// path: realistic, distinct user agents.
package enrichtest

import (
	"fmt"
	"math/rand/v2"
)

// UserAgents returns at least n distinct, realistic user agents:
// real templates (Chrome, Firefox, Safari, Edge, Samsung Internet, in-app
// browsers, native apps) crossed with versions and device models.
func UserAgents(n int) []string {
	androidModels := []string{
		"SM-S911B", "SM-S918B", "SM-A536B", "SM-A546B", "SM-A155F", "SM-G991B", "SM-A515F", "SM-N986B",
		"Pixel 6a", "Pixel 7", "Pixel 7 Pro", "Pixel 8", "Pixel 8 Pro", "Pixel 9", "CPH2269", "CPH2591",
		"23021RAAEG", "2201117TG", "M2101K6G", "22101316G", "moto g power (2022)", "moto g stylus 5G (2022)",
		"motorola edge 40", "RMX3630", "V2134A", "HMA-L29", "ANE-LX1", "Nokia G21", "LE2123", "NE2213",
		"XQ-DQ54", "A063", "TECNO KI5k", "Infinix X6833B", "itel A665L", "SM-T510", "SM-X710", "Lenovo TB-X606F",
	}
	iphones := []string{"iPhone12,1", "iPhone13,2", "iPhone14,5", "iPhone14,7", "iPhone15,2", "iPhone15,4", "iPhone16,1", "iPhone16,2"}
	var out []string
	seen := map[string]bool{}
	add := func(ua string) {
		if !seen[ua] {
			seen[ua] = true
			out = append(out, ua)
		}
	}
	r := rand.New(rand.NewPCG(7, 11))
	for len(out) < n {
		chrome := 100 + r.IntN(32)
		build := 4000 + r.IntN(2800)
		patch := r.IntN(250)
		android := 9 + r.IntN(6)
		model := androidModels[r.IntN(len(androidModels))]
		ios, iosMinor := 14+r.IntN(5), r.IntN(8)
		switch r.IntN(10) {
		case 0:
			add(fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.%d.%d Safari/537.36", chrome, build, patch))
		case 1:
			add(fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.%d.%d Safari/537.36 Edg/%d.0.%d.%d", chrome, build, patch, chrome, r.IntN(3000), r.IntN(200)))
		case 2:
			add(fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.%d.%d Mobile Safari/537.36", android, model, chrome, build, patch))
		case 3:
			add(fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %d_%d like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%d.%d Mobile/15E148 Safari/604.1", ios, iosMinor, ios, iosMinor))
		case 4:
			add(fmt.Sprintf("Mozilla/5.0 (%s; rv:%d.0) Gecko/20100101 Firefox/%d.0",
				[]string{"Windows NT 10.0; Win64; x64", "Macintosh; Intel Mac OS X 10.15", "X11; Linux x86_64", "X11; Ubuntu; Linux x86_64"}[r.IntN(4)], 100+r.IntN(34), 100+r.IntN(34)))
		case 5:
			add(fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; SAMSUNG %s) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/%d.%d Chrome/%d.0.0.0 Mobile Safari/537.36", android, model, 18+r.IntN(9), r.IntN(3), chrome))
		case 6:
			add(fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %d_%d like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/%d.0.0.%d.%d;FBBV/%d;FBDV/%s;FBMD/iPhone;FBSN/iOS;FBSV/%d.%d;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
				ios, iosMinor, 400+r.IntN(60), r.IntN(60), r.IntN(200), 500000000+r.IntN(99999999), iphones[r.IntN(len(iphones))], ios, iosMinor))
		case 7:
			add(fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s Build/TP1A.%d.%03d; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%d.0.%d.%d Mobile Safari/537.36 Instagram %d.0.0.%d.%d Android",
				android, model, 220000+r.IntN(9999), r.IntN(999), chrome, build, patch, 280+r.IntN(40), r.IntN(50), r.IntN(200)))
		case 8:
			add(fmt.Sprintf("Mozilla/5.0 (iPad; CPU OS %d_%d like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/%d.0.%d.%d Mobile/15E148 Safari/604.1", ios, iosMinor, chrome, build, patch))
		case 9:
			add(fmt.Sprintf("Shop/%d.%d.%d CFNetwork/%d.0.%d Darwin/%d.%d.0", 3+r.IntN(3), r.IntN(30), r.IntN(10), 1300+r.IntN(300), r.IntN(9), 21+r.IntN(4), r.IntN(7)))
		}
	}
	return out
}
