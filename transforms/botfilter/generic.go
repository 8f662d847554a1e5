package botfilter

import (
	"regexp"
	"strings"
)

// The allow-list and the generic signals of the user-agent rule (see the
// package documentation for the order they run in). All matching is
// case-insensitive.

// browserShape matches what every browser, webview and in-app browser sends:
// Mozilla/5.0 with a platform and a rendering engine, old Internet Explorer
// (which names Windows but no engine), Konqueror, or Presto Opera. Scripts that borrow
// "Mozilla/5.0" rarely add both a platform and an engine.
var browserShape = regexp.MustCompile(`(?i)^(?:` +
	`mozilla/5\.0 \((?:windows|macintosh|x11|linux|android|iphone|ipad|ipod|crOS|mobile|tablet|bb10|blackberry|` +
	`playstation|nintendo|smart-tv|web0s|tizen|kaios|meego|ubuntu|fedora|freebsd|openbsd|netbsd|symbian|series\d+)` +
	`.*(?:applewebkit/|gecko/|trident/|khtml/)` +
	`|mozilla/5\.0 \(compatible; konqueror/` +
	`|mozilla/[45]\.0 \(compatible; msie \d+\.\d+; windows` +
	`|opera/9\.80 \()`)

// humanTokens are parts of a real person's user agent that bot patterns
// mistake for bots: the tokens in-app browsers append (Facebook, Instagram,
// Messenger, WhatsApp, Viber, Line, Slack, WeChat, TikTok, Snapchat,
// Pinterest, LinkedIn, X), device build ids (one list entry names a build id
// and so flagged every phone on that firmware), and OkHttp when an app names
// itself first. They are blanked before the patterns run, so a bot that
// carries one is still caught by its other tokens.
var humanTokens = regexp.MustCompile(`(?i)` +
	// Android build ids, after "Build/" or bare (AP3A.240617.008).
	`\bbuild/[^;)]*|\b[a-z]{2}\d[a-z]\.\d{6}\.\d{3}(?:\.[a-z0-9]+)?\b` +
	// Facebook, Messenger and Instagram.
	`|\[fb[^\]]*\]?|\bfb(?:an|av|_iab)/[^;\]\s]*|\bmetaiab(?: (?:facebook|instagram|messenger))?` +
	`|\binstagram \d[\d.]*(?: android)?(?: \([^)]*\))?` +
	// WhatsApp, Viber, Line, Slack, Snapchat, Pinterest, LinkedIn, X.
	`|\bsonic slack_ssb/[\w.]*|\b(?:whatsapp|viber|line|slack|slack_ssb|snapchat|linkedinapp|twitter for iphone|twitterandroid)/[\w.()/-]*` +
	`|\[linkedinapp\]/[\w.]*|\[pinterest/[^\]]*\]|\bpinterest for (?:android|ios)(?:/[\w.]*)?` +
	// WeChat and its X5 webview.
	`|\b(?:micromessenger|wechat|weixin|mmwebid|mmwebsdk|xweb|mqqbrowser|tbs|process|nettype|language|abi)/[\w.()-]*|\bweixin\b` +
	// TikTok.
	`|\b(?:musical_ly|trill)_[\w.]*|\b(?:bytedancewebview|bytelocale|bytefulllocale|appname|app_version|appversion|jssdk|channel|region|isdarkmode|spark)/\S*` +
	// An app's own user agent followed by OkHttp's.
	`|\sokhttp/[\d.]+`)

// allowedAgents are user agents taken as a person whatever else they carry:
// Amazon's Amzn-User fetches a page on a person's request.
var allowedAgents = regexp.MustCompile(`(?i)\bamzn-user\b`)

// nativeApp matches the user agents native apps send with their platform's
// HTTP stack: Android's Dalvik default, iOS and macOS CFNetwork apps
// ("Shop/4.21.0 CFNetwork/1490.0.4 Darwin/23.2.0"), an app that names itself
// and its platform ("ShopApp/3.2.1 (iPhone; iOS 17.5; Scale/3.00)", the
// format tools/generate emits), and an app that puts its name before OkHttp's.
var nativeApp = regexp.MustCompile(`(?i)^(?:` +
	`dalvik/\d` +
	`|[^\s/]+/\S+ cfnetwork/[\d.]+ darwin/` +
	`|[\w .-]+/\S+ \([^)]*\b(?:iphone|ipad|ipod|ios|ipados|android|watchos|tvos)\b` +
	`|[\w.-]+/\S+ (?:.* )?okhttp/[\d.]+$)`)

// urlOrEmail finds a URL or an e-mail address, which people's browsers never
// put in a user agent and bots put there for site owners to reach them.
var urlOrEmail = regexp.MustCompile(`(?i)https?://|\bwww\.|[\w.+-]+@[\w-]+\.[a-z]|\bhttps?[:;]`)

// automation finds the marks headless browsers and automation tools leave.
var automation = regexp.MustCompile(`(?i)headless|phantomjs|slimerjs|selenium|webdriver|puppeteer|playwright|` +
	`cypress|jsdom|zombie\.js|wkhtmlto|webkit2png|lighthouse|\bptst\b|synthetics?\b|screenshot|prerender`)

// genericSignal returns why ua looks like a bot's although no pattern names
// it, or "". probe is ua with humanTokens blanked.
func genericSignal(probe string) string {
	if m := automation.FindString(probe); m != "" {
		return "automation marker " + strings.ToLower(m)
	}
	if !browserShape.MatchString(probe) {
		return "no browser or app token"
	}
	if urlOrEmail.MatchString(probe) {
		return "URL or e-mail address"
	}
	return ""
}
