package botfilter

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

// readLabelled reads a tab-separated test set whose rows end in a source
// column; '#' lines and the header (first field "label" or "user_agent") are
// skipped. It returns the user-agent column of every row.
func readLabelled(t testing.TB, path string, uaCol, cols int) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = gz
	}
	var uas []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "label\t") || strings.HasPrefix(line, "user_agent\t") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != cols || f[uaCol] == "" || f[cols-1] == "" {
			t.Fatalf("%s:%d: want %d tab-separated columns ending in a source, got %q", path, n, cols, line)
		}
		if seen[f[uaCol]] {
			t.Fatalf("%s:%d: duplicate user agent", path, n)
		}
		seen[f[uaCol]] = true
		uas = append(uas, f[uaCol])
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return uas
}

// TestHoldoutSplits measures the user-agent rule on the test sets of
// testdata/README.md and fails under the targets of issue 14.
func TestHoldoutSplits(t *testing.T) {
	rule, err := newUARule(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	listSet := newPatternSet(crawlerListOnly(t))

	var devBots, devHumans []string
	for _, r := range readFixture(t) {
		if r.label == "bot" {
			devBots = append(devBots, r.ua)
		} else {
			devHumans = append(devHumans, r.ua)
		}
	}
	for _, split := range []struct {
		name string
		bots []string
	}{
		{"dev (user_agents.tsv)", devBots},
		{"hold-out (holdout_bots.tsv)", readLabelled(t, "testdata/holdout_bots.tsv", 1, 3)},
		{"hold-out, fresh (holdout_fresh_bots.tsv)", readLabelled(t, "testdata/holdout_fresh_bots.tsv", 1, 3)},
	} {
		var caught, unlisted, caughtUnlisted int
		for _, ua := range split.bots {
			_, listed := listSet.first(ua)
			hit := rule.evaluate(ua) != ""
			if hit {
				caught++
			}
			if !listed {
				unlisted++
				if hit {
					caughtUnlisted++
				} else {
					t.Logf("%s: missed bot absent from the list: %s", split.name, ua)
				}
			}
		}
		recall, recallUnlisted := ratio(caught, len(split.bots)), ratio(caughtUnlisted, unlisted)
		t.Logf("%s: recall %.3f (%d/%d); on bots absent from crawler-user-agents %.3f (%d/%d)",
			split.name, recall, caught, len(split.bots), recallUnlisted, caughtUnlisted, unlisted)
		if strings.HasPrefix(split.name, "hold-out") && recallUnlisted < 0.97 {
			t.Errorf("%s: recall on bots absent from the list %.3f, want >= 0.97", split.name, recallUnlisted)
		}
	}

	humans := readLabelled(t, "testdata/human_user_agents.tsv.gz", 0, 2)
	for _, split := range []struct {
		name   string
		humans []string
		max    float64
	}{
		{"dev (user_agents.tsv)", devHumans, 0},
		{"npm user-agents (human_user_agents.tsv.gz)", humans, 0.005},
	} {
		fp := 0
		for _, ua := range split.humans {
			if d := rule.evaluate(ua); d != "" {
				fp++
				t.Logf("%s: human flagged by %q: %s", split.name, d, ua)
			}
		}
		rate := ratio(fp, len(split.humans))
		t.Logf("%s: false positives %.4f (%d/%d)", split.name, rate, fp, len(split.humans))
		if rate > split.max {
			t.Errorf("%s: false-positive rate %.4f, want <= %.4f", split.name, rate, split.max)
		}
	}
	if len(humans) < 5000 {
		t.Errorf("human set has %d user agents, want >= 5000", len(humans))
	}
}

// TestAllowList checks that the in-app browsers and native apps issue 14
// names are never marked, whichever source would have marked them, and that
// a bot carrying an allow-listed token is still caught by its own.
func TestAllowList(t *testing.T) {
	rule, err := newUARule(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	const android = "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.193 Mobile Safari/537.36"
	const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
	humans := map[string]string{
		// crawler-user-agents 1.60.0 lists these real in-app user agents as bots.
		"Facebook (MetaIAB)":  "Mozilla/5.0 (Linux; Android 16; Pixel 10 Pro XL Build/CP1A.260305.018; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/146.0.7680.174 Mobile Safari/537.36 MetaIAB Facebook",
		"Instagram, build id": "Mozilla/5.0 (Linux; Android 15; CPH2557 Build/AP3A.240617.008; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/142.0.7444.142 Mobile Safari/537.36 Instagram 406.0.0.58.159 Android (35/15; 480dpi; 1080x2400; OPPO; CPH2557; OP573DL1; mt6833; en_MY; 822918295; IABMV/1) NV/1",
		"Amzn-User":           "Mozilla/5.0 (compatible; Amzn-User; +https://developer.amazon.com/)",
		// In-app browsers: the webview's user agent plus the app's tokens.
		"Facebook (FBAN)":    iphone + " [FBAN/FBIOS;FBAV/470.0.0.38.108;FBBV/631010560;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.5;FBSS/3;FBID/phone;FBLC/de_DE;FBOP/5;FBRV/633011093]",
		"Facebook (FB4A)":    android + " [FB_IAB/FB4A;FBAV/470.0.0.43.108;]",
		"Messenger":          android + " [FB_IAB/Orca-Android;FBAV/460.0.0.48.109;]",
		"WhatsApp":           android + " WhatsApp/2.24.13.78",
		"Viber":              android + " Viber/22.9.0.2",
		"Line":               android + " Line/14.9.1/IAB",
		"Slack":              "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.39.95 Chrome/126.0.6478.127 Electron/31.2.1 Safari/537.36 Sonic Slack_SSB/4.39.95",
		"WeChat":             "Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240404 MMWEBID/2307 MicroMessenger/8.0.49.2600(0x28003133) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
		"TikTok":             android + " trill_350402 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/35.4.2 ByteLocale/de ByteFullLocale/de Region/DE isDarkMode/0 Spark/1.5.8.6-bugfix AppVersion/35.4.2 BytedanceWebview/d8a21c6",
		"Snapchat":           iphone + " Snapchat/13.10.0.40 (like Safari/8617.2.4.10.8, panda)",
		"Pinterest":          android + " [Pinterest/Android]",
		"LinkedIn":           iphone + " [LinkedInApp]/9.30.1386",
		"X":                  android + " TwitterAndroid",
		"Twitter for iPhone": iphone + " Twitter for iPhone/10.48",
		// Native apps.
		"Dalvik, build id":             "Dalvik/2.1.0 (Linux; U; Android 15; Pixel 8 Build/AP3A.240617.008)",
		"CFNetwork app":                "ShopApp/5412 CFNetwork/1494.0.7 Darwin/23.4.0",
		"Instagram app":                "Instagram 305.0.0.24.106 (iPhone14,5; iOS 17_1; en_US; en; scale=3.00; 1170x2532; 530373637) AppleWebKit/420+",
		"app naming its platform":      "Spotify/8.8.0 iOS/17.0 (iPhone15,2)",
		"Alamofire app":                "MyShop/1.2 (com.example.shop; build:45; iOS 17.4.1) Alamofire/5.8.1",
		"OkHttp after the app":         "ShopApp/5.4.1 (Android 14; SM-S918B) okhttp/4.12.0",
		"OkHttp after a bare app":      "Zalando/24.12.0 okhttp/4.12.0",
		"shop app, iPhone (generator)": "ShopApp/5.4.1 (iPhone; iOS 17.5.1; Scale/3.00)",
		"shop app, iPad (generator)":   "ShopApp/5.3.0 (iPad; iPadOS 17.4; Scale/2.00)",
	}
	for name, ua := range humans {
		if d := rule.evaluate(ua); d != "" {
			t.Errorf("%s marked as a bot by %q: %s", name, d, ua)
		}
	}
	bots := map[string]string{
		"link preview of an allow-listed app": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
		"Googlebot with a build id":           "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.108 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"bare OkHttp":                         "okhttp/4.12.0",
		"WhatsApp's link preview":             "WhatsApp/2.23.20.0 A",
		"headless in-app":                     "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36 [FBAN/FBIOS]",
	}
	for name, ua := range bots {
		if rule.evaluate(ua) == "" {
			t.Errorf("%s not marked: %s", name, ua)
		}
	}
}

// TestHumanTokenMarks checks that every match of every humanTokens expression
// contains one of humanTokenMarks, so that skipping the regexp when no mark
// occurs never skips a match.
func TestHumanTokenMarks(t *testing.T) {
	for _, expr := range humanTokenExprs {
		re, err := syntax.Parse("(?i)"+expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		lits := requiredLiterals(re.Simplify())
		if lits == nil {
			t.Errorf("%q: no required literal", expr)
		}
		for _, l := range lits {
			if !slices.ContainsFunc(humanTokenMarks, func(m string) bool { return strings.Contains(l, m) }) {
				t.Errorf("%q: required literal %q contains no mark", expr, l)
			}
		}
	}
}

// TestAllowListKeepsListedBots checks that blanking the allow-listed tokens
// hides no bot of the crawler list: the full rule marks every example user
// agent of the list except those of the entries that list people on purpose
// overruled.
func TestAllowListKeepsListedBots(t *testing.T) {
	overruled := map[string]bool{"Amzn-User": true, `AP3A\.240617\.008`: true, "MetaIAB Facebook": true}
	var entries []struct {
		Pattern   string   `json:"pattern"`
		Instances []string `json:"instances"`
	}
	if err := json.Unmarshal(crawlerListJSON, &entries); err != nil {
		t.Fatal(err)
	}
	rule, err := newUARule(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		for _, ua := range e.Instances {
			if marked := rule.evaluate(ua) != ""; marked == overruled[e.Pattern] {
				t.Errorf("entry %q, overruled %v: marked %v: %s", e.Pattern, overruled[e.Pattern], marked, ua)
			}
		}
	}
}
