package botfilter

import (
	"regexp"
	"slices"
	"strings"
)

// The allow-list and the generic signals of the user-agent rule (see the
// package documentation for the order they run in). All matching is
// case-insensitive.

// browserShape matches what every browser, webview and in-app browser sends:
// Mozilla/5.0 with a platform and a rendering engine, old Internet Explorer
// (which names Windows but no engine), Konqueror, or Presto Opera. Scripts
// that borrow "Mozilla/5.0" rarely add both a platform and an engine. The
// platform is the first token in the parentheses: HarmonyOS NEXT's ArkWeb
// puts its device type there ("Mozilla/5.0 (Phone; OpenHarmony 5.0) ...",
// or Tablet, or PC for a 2-in-1), Chromium on Fuchsia (Nest Hub) "Fuchsia".
var browserShape = regexp.MustCompile(`(?i)^(?:` +
	`mozilla/5\.0 \((?:windows|macintosh|x11|linux|android|iphone|ipad|ipod|cros|mobile|tablet|phone|pc;|bb10|blackberry|` +
	`playstation|nintendo|smart-tv|web0s|tizen|kaios|meego|ubuntu|fedora|freebsd|openbsd|netbsd|symbian|series\d+|fuchsia)` +
	`.*(?:applewebkit/|gecko/|trident/|khtml/)` +
	`|mozilla/5\.0 \(compatible; konqueror/` +
	`|mozilla/[45]\.0 \(compatible; msie \d+\.\d+; windows` +
	`|opera/9\.80 \()`)

// humanTokens are parts of a real person's user agent that bot patterns
// mistake for bots: the tokens in-app browsers append (Facebook, Instagram,
// Messenger, WhatsApp, Viber, Line, Slack, WeChat, TikTok, Snapchat,
// Pinterest, LinkedIn, X; Tumblr, SmartNews, Toutiao) and OkHttp's when an
// app names itself first. They
// are blanked, with device build ids (maskHumanTokens), before the patterns
// run, so a bot that carries one is still caught by its other tokens.
var humanTokens = regexp.MustCompile("(?i)" + strings.Join(humanTokenExprs, "|"))

var humanTokenExprs = []string{
	// Facebook, Messenger and Instagram.
	`\[fb[^\]]*\]?`,
	`\bfb(?:an|av|_iab)/[^;\]\s]*`,
	`\bmetaiab(?: (?:facebook|instagram|messenger))?`,
	`\binstagram \d[\d.]*(?: android)?(?: \([^)]*\))?`,
	// WhatsApp, Viber, Line, Slack, Snapchat, Pinterest, LinkedIn, X.
	`\bsonic slack_ssb/[\w.]*`,
	`\b(?:whatsapp|viber|line|slack|slack_ssb|snapchat|linkedinapp|twitter for iphone|twitterandroid)/[\w.()/-]*`,
	`\[linkedinapp\]/[\w.]*`,
	`\[pinterest/[^\]]*\]`,
	`\bpinterest for (?:android|ios)(?:/[\w.]*)?`,
	// WeChat and its X5 webview.
	`\b(?:micromessenger|wechat|mmwebid|mmwebsdk|xweb|mqqbrowser|tbs|process|nettype|language|abi)/[\w.()-]*`,
	`\bweixin\b`,
	// TikTok, and Toutiao's news apps (isbot's "news" takes them): its
	// NewsArticle/ and Lite's NewsLite/ tokens, and the "(News 7.6.4 ...)"
	// the iOS app appends.
	`\b(?:musical_ly|trill)_[\w.]*`,
	`\b(?:bytedancewebview|bytelocale|bytefulllocale|appname|app_version|appversion|jssdk|channel|region|isdarkmode|spark)/\S*`,
	`\bnews(?:article|lite)/[\d.]+`,
	`\(news [\d. ]+\)`,
	// Tumblr's in-app browser names its platform, its link fetcher
	// ("Tumblr/14.0.835.186") does not; SmartNews.
	`\btumblr/(?:iphone|ipad|android)/[\w./]*`,
	`\bsmartnews/[\d.]+`,
	// Alipay's "AlipayDefined(nt:WIFI,ws:390|844|3.0)" (isbot's "\|") and
	// Taobao's "TTID/600000@taobao_android_10.48.30" (isbot's "@x.").
	`\balipaydefined\([^)]*\)`,
	`\b(?:ttid|tbandroid)/\d+@taobao_[\w.]*`,
	// An app's own user agent followed by OkHttp's.
	`\sokhttp/[\d.]+`,
}

// humanTokenMarks are lower-case literals one of which occurs in every match
// of humanTokens (TestHumanTokenMarks checks it), so that the regexp, slow
// as Go runs it, only sees the few user agents that may hold such a token.
var humanTokenMarks = []string{
	"[fb", "fban/", "fbav/", "fb_iab/", "metaiab", "instagram ", "slack_ssb/", "whatsapp/", "viber/", "line/",
	"slack/", "snapchat/", "linkedinapp", "twitter for iphone/", "twitterandroid/", "[pinterest/", "pinterest for ",
	"micromessenger/", "wechat/", "mmwebid/", "mmwebsdk/", "xweb/", "mqqbrowser/", "tbs/", "process/", "nettype/",
	"language/", "abi/", "weixin", "musical_ly_", "trill_", "bytedancewebview/", "bytelocale/", "bytefulllocale/",
	"appname/", "app_version/", "appversion/", "jssdk/", "channel/", "region/", "isdarkmode/", "spark/", "okhttp/",
	"newsarticle/", "newslite/", "(news ", "tumblr/", "smartnews/", "alipaydefined(", "@taobao_",
}

// maskHumanTokens returns ua with its humanTokens and its device build ids
// (what follows "Build/" up to ";" or ")": one list entry names a build id
// and so flagged every phone on that firmware) blanked; lower is
// lowerASCII(ua).
func maskHumanTokens(ua, lower string) string {
	const build = "build/"
	if i := strings.Index(lower, build); i >= 0 {
		b := []byte(ua)
		for ; i >= 0; i = indexFrom(lower, build, i) {
			for i += len(build); i < len(b) && b[i] != ';' && b[i] != ')'; i++ {
				b[i] = ' '
			}
		}
		ua = string(b)
	}
	if slices.ContainsFunc(humanTokenMarks, func(m string) bool { return strings.Contains(lower, m) }) {
		ua = humanTokens.ReplaceAllLiteralString(ua, " ")
	}
	return ua
}

// indexFrom is strings.Index of sub in s[from:], as an index into s.
func indexFrom(s, sub string, from int) int {
	if j := strings.Index(s[from:], sub); j >= 0 {
		return from + j
	}
	return -1
}

// allowedAgent is the lower-case token of a user agent taken as a person's
// whatever else it carries: Amazon's Amzn-User fetches a page on a person's
// request.
const allowedAgent = "amzn-user"

// nativeApp matches the user agents native apps send with their platform's
// HTTP stack: Android's Dalvik default, iOS and macOS CFNetwork apps
// ("Shop/4.21.0 CFNetwork/1490.0.4 Darwin/23.2.0"), an app that names itself,
// its version and its platform ("ShopApp/3.2.1 (iPhone; iOS 17.5;
// Scale/3.00)", the format tools/generate emits; "Spotify/8.8.0 iOS/17.0
// (iPhone15,2)"), and an app that puts its name before OkHttp's.
var nativeApp = regexp.MustCompile(`(?i)^(?:` +
	`dalvik/\d` +
	`|[^\s/]+/\S+ cfnetwork/[\d.]+ darwin/` +
	`|[\w .-]+[/ ]v?\d\S* .*\b(?:iphone|ipad|ipod|ios|ipados|android|watchos|tvos)(?:\b|\d)` +
	`|[\w.-]+/\S+ (?:.* )?okhttp/[\d.]+$)`)

// urlOrEmail finds a URL or an e-mail address, which people's browsers never
// put in a user agent and bots put there for site owners to reach them.
var urlOrEmail = regexp.MustCompile(`(?i)https?://|\bwww\.|[\w.+-]+@[\w-]+\.[a-z]`)

// automationMarks are the lower-case marks headless browsers and automation
// tools leave in a user agent.
var automationMarks = []string{
	"headless", "phantomjs", "slimerjs", "selenium", "webdriver", "puppeteer", "playwright", "cypress/", "jsdom",
	"zombie.js", "wkhtmlto", "webkit2png", "lighthouse", "ptst/", "; ptst ", "synthetic", "screenshot", "prerender",
}

// genericSignal returns why probe, a user agent with its humanTokens
// blanked, looks like a bot's although no pattern names it, or "".
func genericSignal(probe string) string {
	lower := lowerASCII(probe)
	if i := slices.IndexFunc(automationMarks, func(m string) bool { return strings.Contains(lower, m) }); i >= 0 {
		return "automation marker " + automationMarks[i]
	}
	if !browserShape.MatchString(probe) {
		return "no browser or app token"
	}
	if (strings.Contains(lower, "http") || strings.Contains(lower, "www.") || strings.Contains(lower, "@")) && urlOrEmail.MatchString(probe) {
		return "URL or e-mail address"
	}
	return ""
}
