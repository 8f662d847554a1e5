package generate

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// User agents are assembled from the templates real browsers and apps send,
// with the versions and device models seen in late-2026-style traffic, so a
// run holds thousands of distinct strings, as real logs do.

type chromeRelease struct {
	major  int
	builds []string // full versions Chrome shipped (apps and webviews still send them)
}

var chromeReleases = []chromeRelease{
	{109, []string{"109.0.5414.120", "109.0.5414.119", "109.0.5414.87"}},
	{112, []string{"112.0.5615.137", "112.0.5615.136", "112.0.5615.48"}},
	{116, []string{"116.0.5845.187", "116.0.5845.163", "116.0.5845.114"}},
	{118, []string{"118.0.5993.117", "118.0.5993.111", "118.0.5993.80"}},
	{119, []string{"119.0.6045.193", "119.0.6045.163", "119.0.6045.134"}},
	{120, []string{"120.0.6099.230", "120.0.6099.210", "120.0.6099.144", "120.0.6099.109"}},
	{121, []string{"121.0.6167.184", "121.0.6167.164", "121.0.6167.143"}},
	{122, []string{"122.0.6261.128", "122.0.6261.119", "122.0.6261.105"}},
	{123, []string{"123.0.6312.122", "123.0.6312.118", "123.0.6312.99"}},
	{124, []string{"124.0.6367.207", "124.0.6367.179", "124.0.6367.113"}},
	{125, []string{"125.0.6422.165", "125.0.6422.147", "125.0.6422.113"}},
	{126, []string{"126.0.6478.182", "126.0.6478.126", "126.0.6478.71"}},
	{127, []string{"127.0.6533.119", "127.0.6533.103", "127.0.6533.88"}},
	{128, []string{"128.0.6613.137", "128.0.6613.127", "128.0.6613.99"}},
	{129, []string{"129.0.6668.100", "129.0.6668.89", "129.0.6668.70"}},
	{130, []string{"130.0.6723.117", "130.0.6723.102", "130.0.6723.91", "130.0.6723.58"}},
	{131, []string{"131.0.6778.108", "131.0.6778.85", "131.0.6778.69", "131.0.6778.39"}},
	{132, []string{"132.0.6834.83", "132.0.6834.57"}},
	{133, []string{"133.0.6943.53", "133.0.6943.49"}},
	{134, []string{"134.0.6998.88", "134.0.6998.35"}},
	{135, []string{"135.0.7049.84", "135.0.7049.52"}},
	{136, []string{"136.0.7103.113", "136.0.7103.92"}},
	{137, []string{"137.0.7151.68", "137.0.7151.55"}},
	{138, []string{"138.0.7204.157", "138.0.7204.92"}},
	{139, []string{"139.0.7258.138", "139.0.7258.66"}},
	{140, []string{"140.0.7339.185", "140.0.7339.127"}},
	{141, []string{"141.0.7390.122", "141.0.7390.54"}},
	{142, []string{"142.0.7444.59", "142.0.7444.52"}},
}

// chrome picks a release, recent ones far more often (auto-update).
func chrome(rng *rand.Rand) chromeRelease {
	n := len(chromeReleases)
	i := n - 1 - int(float64(n)*rng.Float64()*rng.Float64()*rng.Float64())
	return chromeReleases[max(i, 0)]
}

func oneOf[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

var (
	macOSVersions   = []string{"10_15_7", "10_15_7", "10_15_7", "10_15_6", "11_7_10", "12_7_6", "13_6_9", "14_7_1"}
	safariMac       = []string{"16.6", "16.6.1", "17.0", "17.1", "17.2", "17.2.1", "17.3", "17.3.1", "17.4", "17.4.1", "17.5", "17.6", "18.0", "18.0.1", "18.1", "18.1.1", "18.2", "18.3", "18.4", "18.5", "18.6", "26.0", "26.0.1", "26.1"}
	iosVersions     = []string{"15_8_3", "16_6_1", "16_7_8", "16_7_10", "17_0_3", "17_1_2", "17_2_1", "17_3_1", "17_4_1", "17_5", "17_5_1", "17_6", "17_6_1", "17_7", "18_0", "18_0_1", "18_1", "18_1_1", "18_2", "18_2_1", "18_3", "18_3_1", "18_3_2", "18_4", "18_4_1", "18_5", "18_6", "18_6_2", "18_7", "26_0", "26_0_1", "26_1"}
	firefoxVersions = []int{115, 128, 128, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145}
	edgeBuilds      = []string{"2210.91", "2277.128", "2365.92", "2420.81", "2478.80", "2535.85", "2592.113", "2651.74", "2739.67", "2792.89", "2849.80", "2903.86", "2957.140", "3065.69", "3124.85", "3179.98", "3240.76", "3296.83", "3351.95", "3405.86", "3485.54", "3537.71"}
	operaMajors     = []int{105, 106, 107, 108, 109, 110, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123}
	samsungVersions = []string{"21.0", "22.0", "23.0", "24.0", "25.0", "26.0", "27.0", "28.0", "29.0"}
	iphoneModels    = []string{"iPhone12,1", "iPhone12,8", "iPhone13,2", "iPhone13,3", "iPhone14,2", "iPhone14,3", "iPhone14,5", "iPhone14,7", "iPhone15,2", "iPhone15,3", "iPhone15,4", "iPhone15,5", "iPhone16,1", "iPhone16,2", "iPhone17,1", "iPhone17,2", "iPhone17,3", "iPhone17,4", "iPhone18,1", "iPhone18,3"}
	fbLocales       = []string{"de_DE", "en_GB", "en_US", "fr_FR", "nl_NL", "it_IT", "es_ES", "pl_PL", "de_AT", "sv_SE"}
	shopAppVersions = []string{"4.9.2", "5.0.0", "5.0.1", "5.1.0", "5.1.2", "5.2.0", "5.2.1", "5.3.0", "5.3.1", "5.3.1", "5.4.0", "5.4.0", "5.4.1"}
)

type androidModel struct {
	model  string
	brand  string // Instagram's manufacturer field
	tablet bool
	minOS  int
}

var androidModels = []androidModel{
	{"SM-S938B", "samsung", false, 15}, {"SM-S936B", "samsung", false, 15}, {"SM-S931B", "samsung", false, 15},
	{"SM-S928B", "samsung", false, 14}, {"SM-S926B", "samsung", false, 14}, {"SM-S921B", "samsung", false, 14},
	{"SM-S918B", "samsung", false, 13}, {"SM-S916B", "samsung", false, 13}, {"SM-S911B", "samsung", false, 13},
	{"SM-S908B", "samsung", false, 12}, {"SM-S901B", "samsung", false, 12}, {"SM-G998B", "samsung", false, 11},
	{"SM-G991B", "samsung", false, 11}, {"SM-G781B", "samsung", false, 11}, {"SM-G973F", "samsung", false, 10},
	{"SM-A566B", "samsung", false, 15}, {"SM-A556B", "samsung", false, 14}, {"SM-A546B", "samsung", false, 13},
	{"SM-A536B", "samsung", false, 12}, {"SM-A525F", "samsung", false, 11}, {"SM-A515F", "samsung", false, 10},
	{"SM-A356B", "samsung", false, 14}, {"SM-A346B", "samsung", false, 13}, {"SM-A256B", "samsung", false, 14},
	{"SM-A155F", "samsung", false, 14}, {"SM-A145R", "samsung", false, 13}, {"SM-M336BU", "samsung", false, 12},
	{"SM-F946B", "samsung", false, 13}, {"SM-F731B", "samsung", false, 13}, {"SM-F956B", "samsung", false, 14},
	{"Pixel 6", "Google", false, 12}, {"Pixel 6a", "Google", false, 12}, {"Pixel 7", "Google", false, 13},
	{"Pixel 7a", "Google", false, 13}, {"Pixel 7 Pro", "Google", false, 13}, {"Pixel 8", "Google", false, 14},
	{"Pixel 8 Pro", "Google", false, 14}, {"Pixel 8a", "Google", false, 14}, {"Pixel 9", "Google", false, 14},
	{"Pixel 9 Pro", "Google", false, 14}, {"Pixel 9a", "Google", false, 15}, {"Pixel 10", "Google", false, 16},
	{"2201117TY", "Xiaomi", false, 11}, {"2201117TG", "Xiaomi", false, 11}, {"23021RAAEG", "Xiaomi", false, 13},
	{"23049PCD8G", "Xiaomi", false, 13}, {"2312DRA50G", "Xiaomi", false, 13}, {"M2101K6G", "Xiaomi", false, 11},
	{"M2102J20SG", "Xiaomi", false, 11}, {"22101316G", "Xiaomi", false, 12}, {"23078RKD5G", "Xiaomi", false, 13},
	{"220333QAG", "Xiaomi", false, 12}, {"24069RA21G", "Xiaomi", false, 14}, {"2404ARN45A", "Xiaomi", false, 14},
	{"CPH2449", "OnePlus", false, 13}, {"CPH2581", "OnePlus", false, 14}, {"LE2113", "OnePlus", false, 11},
	{"NE2213", "OnePlus", false, 12}, {"KB2003", "OnePlus", false, 11}, {"IN2013", "OnePlus", false, 10},
	{"CPH2211", "OPPO", false, 11}, {"CPH2333", "OPPO", false, 12}, {"CPH2565", "OPPO", false, 13},
	{"RMX3630", "realme", false, 13}, {"RMX3363", "realme", false, 12}, {"RMX3771", "realme", false, 13},
	{"moto g54 5G", "motorola", false, 13}, {"moto g84 5G", "motorola", false, 13}, {"moto e13", "motorola", false, 13},
	{"motorola edge 40", "motorola", false, 13}, {"moto g(60)", "motorola", false, 11},
	{"VOG-L29", "HUAWEI", false, 10}, {"ELE-L29", "HUAWEI", false, 10}, {"MAR-LX1A", "HUAWEI", false, 10},
	{"Nokia G21", "HMD Global", false, 11}, {"XQ-DQ54", "Sony", false, 13}, {"XQ-CT54", "Sony", false, 12},
	{"V2207", "vivo", false, 12}, {"V2231", "vivo", false, 13}, {"ASUS_AI2302", "asus", false, 13},
	{"SM-X200", "samsung", true, 11}, {"SM-X205", "samsung", true, 12}, {"SM-X710", "samsung", true, 13},
	{"SM-X810", "samsung", true, 13}, {"SM-T510", "samsung", true, 10}, {"SM-P610", "samsung", true, 11},
	{"Lenovo TB-X606F", "LENOVO", true, 10}, {"TB350FU", "LENOVO", true, 12}, {"23043RP34G", "Xiaomi", true, 13},
}

// androidBuilds are build ids by Android version, as they appear after
// "Build/" in webview and Dalvik user agents.
var androidBuilds = map[int][]string{
	10: {"QP1A.190711.020", "QKQ1.190910.002", "QQ3A.200805.001"},
	11: {"RP1A.200720.012", "RKQ1.201112.002", "RKQ1.200826.002", "RQ3A.211001.001"},
	12: {"SP1A.210812.016", "SKQ1.211006.001", "SQ3A.220705.004", "S1RXS32.50-13-25"},
	13: {"TP1A.220624.014", "TKQ1.221114.001", "TQ3A.230901.001", "TKQ1.220829.002"},
	14: {"UP1A.231005.007", "UKQ1.230924.001", "UQ1A.240205.004", "AP1A.240405.002", "UP1A.231005.007.A1"},
	15: {"AP3A.240905.015", "AP3A.241105.008", "BP1A.250305.019", "AP4A.250205.002"},
	16: {"BP2A.250605.031", "BP3A.250905.014", "BD3A.250721.001"},
}

func androidOS(rng *rand.Rand, m androidModel) int {
	os := m.minOS + rng.IntN(3)
	return min(os, 16)
}

func iosVersion(rng *rand.Rand) string {
	// Recent versions dominate.
	n := len(iosVersions)
	return iosVersions[n-1-int(float64(n)*rng.Float64()*rng.Float64())]
}

func dotted(v string) string { return strings.ReplaceAll(v, "_", ".") }

// safariVersion is the Version/x.y an iOS Safari sends for the OS version.
func safariVersion(ios string) string {
	parts := strings.Split(ios, "_")
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return parts[0] + ".0"
}

func pickAndroid(rng *rand.Rand, tablet bool) androidModel {
	for {
		m := oneOf(rng, androidModels)
		if m.tablet == tablet {
			return m
		}
	}
}

func desktopUA(rng *rand.Rand) string {
	c := chrome(rng)
	r := rng.Float64()
	switch {
	case r < 0.36:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", c.major)
	case r < 0.48:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.%s", c.major, c.major, oneOf(rng, edgeBuilds))
	case r < 0.54:
		v := oneOf(rng, firefoxVersions)
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", v, v)
	case r < 0.64:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X %s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", oneOf(rng, macOSVersions), c.major)
	case r < 0.79:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X %s) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Safari/605.1.15", oneOf(rng, macOSVersions), oneOf(rng, safariMac))
	case r < 0.81:
		v := oneOf(rng, firefoxVersions)
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:%d.0) Gecko/20100101 Firefox/%d.0", v, v)
	case r < 0.84:
		return fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", c.major)
	case r < 0.86:
		v := oneOf(rng, firefoxVersions)
		return fmt.Sprintf("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", v, v)
	case r < 0.89:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 OPR/%d.0.0.0", c.major, oneOf(rng, operaMajors))
	case r < 0.91:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.%s", c.major, c.major, oneOf(rng, edgeBuilds))
	case r < 0.93:
		// Windows 7/8.1 stay on Chrome 109, which still sent its full version.
		return fmt.Sprintf("Mozilla/5.0 (Windows NT %s; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Safari/537.36", oneOf(rng, []string{"6.1", "6.3"}), oneOf(rng, chromeReleases[0].builds))
	case r < 0.95:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 YaBrowser/24.%d.%d.%d Safari/537.36", c.major, 1+rng.IntN(12), rng.IntN(8), 500+rng.IntN(900))
	case r < 0.97:
		return fmt.Sprintf("Mozilla/5.0 (X11; CrOS x86_64 %d.%d.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", 15000+rng.IntN(1400), rng.IntN(120), c.major)
	default:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Safari/537.36", oneOf(rng, c.builds))
	}
}

func mobileWebUA(rng *rand.Rand, social bool) string {
	if social && rng.Float64() < 0.6 {
		return inAppUA(rng)
	}
	c := chrome(rng)
	r := rng.Float64()
	switch {
	case r < 0.38:
		ios := iosVersion(rng)
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Mobile/15E148 Safari/604.1", ios, safariVersion(ios))
	case r < 0.44:
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/%s Mobile/15E148 Safari/604.1", iosVersion(rng), oneOf(rng, c.builds))
	case r < 0.47:
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/%d.0.%d Mobile/15E148 Safari/604.1", iosVersion(rng), 330+rng.IntN(60), 600000000+rng.IntN(99999999))
	case r < 0.48:
		v := oneOf(rng, firefoxVersions)
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/%d.%d Mobile/15E148 Safari/605.1.15", iosVersion(rng), v, rng.IntN(3))
	case r < 0.76:
		// Chrome 110+ on Android sends the reduced "Android 10; K" form.
		if c.major >= 110 {
			return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36", c.major)
		}
		m := pickAndroid(rng, false)
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Mobile Safari/537.36", androidOS(rng, m), m.model, oneOf(rng, c.builds))
	case r < 0.86:
		m := pickAndroid(rng, false)
		for m.brand != "samsung" {
			m = pickAndroid(rng, false)
		}
		sv := oneOf(rng, samsungVersions)
		if rng.Float64() < 0.5 {
			return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/%s Chrome/%d.0.0.0 Mobile Safari/537.36", sv, c.major)
		}
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; SAMSUNG %s) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/%s Chrome/%d.0.0.0 Mobile Safari/537.36", androidOS(rng, m), m.model, sv, c.major)
	case r < 0.88:
		v := oneOf(rng, firefoxVersions)
		return fmt.Sprintf("Mozilla/5.0 (Android %d; Mobile; rv:%d.0) Gecko/%d.0 Firefox/%d.0", 11+rng.IntN(5), v, v, v)
	case r < 0.92:
		m := pickAndroid(rng, false)
		os := androidOS(rng, m)
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s Build/%s; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%s Mobile Safari/537.36 GSA/15.%d.%d.%d.arm64", os, m.model, oneOf(rng, androidBuilds[os]), oneOf(rng, c.builds), rng.IntN(50), rng.IntN(40), rng.IntN(40))
	case r < 0.95:
		m := pickAndroid(rng, false)
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36 EdgA/%d.0.%s", androidOS(rng, m), m.model, c.major, c.major, oneOf(rng, edgeBuilds))
	case r < 0.97:
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36 OPR/%d.%d.%d.%d", c.major, 80+rng.IntN(10), rng.IntN(5), 2254+rng.IntN(300), 60000+rng.IntN(9999))
	default:
		return inAppUA(rng)
	}
}

// inAppUA is the user agent of the browser inside the Instagram or Facebook
// apps, where most social clicks open.
func inAppUA(rng *rand.Rand) string {
	c := chrome(rng)
	insta := rng.Float64() < 0.55
	if rng.Float64() < 0.5 {
		ios := iosVersion(rng)
		model := oneOf(rng, iphoneModels)
		if insta {
			return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram %d.0.%d.%d.%d (%s; iOS %s; %s; %s; scale=%s; %s; %d)",
				ios, 300+rng.IntN(110), rng.IntN(4), 10+rng.IntN(40), 70+rng.IntN(40), model, ios, oneOf(rng, fbLocales), oneOf(rng, []string{"de", "en", "fr", "nl"}),
				oneOf(rng, []string{"2.00", "3.00"}), oneOf(rng, []string{"1170x2532", "1179x2556", "1284x2778", "828x1792", "1290x2796", "750x1334"}), 500000000+rng.IntN(200000000))
		}
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/%d.0.0.%d.%d;FBBV/%d;FBDV/%s;FBMD/iPhone;FBSN/iOS;FBSV/%s;FBSS/3;FBID/phone;FBLC/%s;FBOP/5;FBRV/%d]",
			ios, 440+rng.IntN(100), 20+rng.IntN(60), 100+rng.IntN(20), 600000000+rng.IntN(99999999), model, dotted(ios), oneOf(rng, fbLocales), 600000000+rng.IntN(99999999))
	}
	m := pickAndroid(rng, false)
	os := androidOS(rng, m)
	web := fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s Build/%s; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%s Mobile Safari/537.36", os, m.model, oneOf(rng, androidBuilds[os]), oneOf(rng, c.builds))
	if insta {
		return fmt.Sprintf("%s Instagram %d.0.0.%d.%d Android (%d/%d; %ddpi; %s; %s; %s; %s; %s; %s; %d)",
			web, 300+rng.IntN(110), 10+rng.IntN(50), 70+rng.IntN(60), 20+os, os, oneOf(rng, []int{420, 440, 480, 560}),
			oneOf(rng, []string{"1080x2340", "1080x2400", "1440x3088", "1080x2316", "1220x2712"}), m.brand, m.model,
			strings.ToLower(strings.ReplaceAll(m.model, " ", "")), oneOf(rng, []string{"qcom", "exynos2200", "mt6789", "tensor"}), oneOf(rng, fbLocales), 500000000+rng.IntN(200000000))
	}
	return fmt.Sprintf("%s [FB_IAB/FB4A;FBAV/%d.0.0.%d.%d;]", web, 440+rng.IntN(100), 20+rng.IntN(60), 100+rng.IntN(20))
}

func tabletUA(rng *rand.Rand) string {
	r := rng.Float64()
	switch {
	case r < 0.45:
		// iPadOS Safari asks for the desktop site by default.
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Safari/605.1.15", oneOf(rng, safariMac))
	case r < 0.6:
		ios := iosVersion(rng)
		return fmt.Sprintf("Mozilla/5.0 (iPad; CPU OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Mobile/15E148 Safari/604.1", ios, safariVersion(ios))
	case r < 0.67:
		return fmt.Sprintf("Mozilla/5.0 (iPad; CPU OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/%s Mobile/15E148 Safari/604.1", iosVersion(rng), oneOf(rng, chrome(rng).builds))
	case r < 0.9:
		m := pickAndroid(rng, true)
		c := chrome(rng)
		if c.major >= 110 {
			return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", c.major)
		}
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Safari/537.36", androidOS(rng, m), m.model, oneOf(rng, c.builds))
	default:
		m := pickAndroid(rng, true)
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; SAMSUNG %s) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/%s Chrome/%d.0.0.0 Safari/537.36", androidOS(rng, m), m.model, oneOf(rng, samsungVersions), chrome(rng).major)
	}
}

// appUA is the user agent of the shop's native app: iOS builds send their
// own (Alamofire-style) string, Android builds the platform's Dalvik one.
func appUA(rng *rand.Rand, ios bool) (ua, version string) {
	version = shopAppVersions[len(shopAppVersions)-1-int(float64(len(shopAppVersions))*rng.Float64()*rng.Float64())]
	if ios {
		if rng.Float64() < 0.12 {
			return fmt.Sprintf("ShopApp/%s (iPad; iPadOS %s; Scale/2.00)", version, dotted(iosVersion(rng))), version
		}
		return fmt.Sprintf("ShopApp/%s (iPhone; iOS %s; Scale/%s)", version, dotted(iosVersion(rng)), oneOf(rng, []string{"2.00", "3.00", "3.00"})), version
	}
	m := pickAndroid(rng, rng.Float64() < 0.08)
	os := androidOS(rng, m)
	return fmt.Sprintf("Dalvik/2.1.0 (Linux; U; Android %d; %s Build/%s)", os, m.model, oneOf(rng, androidBuilds[os])), version
}

// crawler is a family of user-agent bots: real crawler strings and the
// HTTP-library defaults scrapers leave in place.
type crawler struct {
	uas    []string
	ipv4   []string // /16 or /24 prefixes the family crawls from
	render bool     // executes JavaScript, so sends product views too
}

var crawlers = []crawler{
	{[]string{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.7390.122 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/141.0.7390.122 Safari/537.36"},
		[]string{"66.249.64.", "66.249.66.", "66.249.68.", "66.249.79."}, true},
	{[]string{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36"},
		[]string{"157.55.39.", "40.77.167.", "207.46.13."}, true},
	{[]string{"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"}, []string{"54.36.148.", "54.36.149.", "5.39.1."}, false},
	{[]string{"Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)"}, []string{"185.191.171.", "85.208.96."}, false},
	{[]string{"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)"}, []string{"5.255.231.", "213.180.203.", "87.250.224."}, false},
	{[]string{"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"}, []string{"220.181.108.", "116.179.32."}, false},
	{[]string{"DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)"}, []string{"20.191.45.", "40.88.21."}, false},
	{[]string{"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"}, []string{"69.171.249.", "173.252.83.", "31.13.103."}, false},
	{[]string{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"}, []string{"20.171.207.", "52.230.152."}, true},
	{[]string{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)"}, []string{"3.12.251.", "18.97.9."}, false},
	{[]string{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"}, []string{"17.241.219.", "17.241.75."}, true},
	{[]string{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/141.0.7390.122 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/139.0.7258.138 Safari/537.36"},
		[]string{"34.141.", "35.204.", "3.120."}, true},
	{[]string{"python-requests/2.31.0", "python-requests/2.32.3", "python-requests/2.28.1"}, []string{"52.58.", "18.184.", "3.72."}, false},
	{[]string{"curl/7.88.1", "curl/8.5.0", "curl/8.7.1"}, []string{"159.89.", "138.68.", "167.99."}, false},
	{[]string{"Go-http-client/1.1", "Go-http-client/2.0"}, []string{"35.158.", "3.64."}, false},
	{[]string{"Scrapy/2.11.2 (+https://scrapy.org)", "Scrapy/2.13.3 (+https://scrapy.org)"}, []string{"95.216.", "65.108."}, false},
	{[]string{"Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1"}, []string{"51.15.", "163.172."}, true},
	{[]string{"Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)"}, []string{"136.243.", "144.76."}, false},
	{[]string{"Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)"}, []string{"216.244.66."}, false},
	{[]string{"Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)"}, []string{"47.128.", "110.249.201."}, false},
	{[]string{"Mozilla/5.0 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)"}, []string{"114.119.", "124.243."}, false},
	{[]string{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15 (compatible; Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot)"}, []string{"52.70.", "3.224."}, false},
}
