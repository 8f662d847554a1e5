package botfilter

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/example/clickstream/schemas"
)

// formatMarked reduces an event to what a Marker may change, plus its IP
// (which it must not change).
func formatMarked(e schemas.Event) string {
	return e.EventID + "|" + e.IP + "|" + e.BotRule + "|" + e.BotDetail
}

const (
	chromeUA    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	googlebotUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	headlessUA  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36"
)

func TestMarkerApply(t *testing.T) {
	events := []schemas.Event{
		{EventID: "human", UserAgent: chromeUA, IP: "192.0.2.10"},
		{EventID: "no-ua", IP: "192.0.2.11"},
		{EventID: "googlebot", UserAgent: googlebotUA, IP: "192.0.2.12"},
		{EventID: "headless-on-denied-ip", UserAgent: headlessUA, IP: "203.0.113.5"},
		{EventID: "browser-on-denied-ip", UserAgent: chromeUA, IP: "203.0.113.77"},
		{EventID: "browser-on-denied-ipv6", UserAgent: chromeUA, IP: "2001:db8:bad:1::9"},
		{EventID: "own-monitor", UserAgent: "AcmeMonitor/2.1", IP: "192.0.2.13"},
		{EventID: "already-marked", UserAgent: googlebotUA, IP: "203.0.113.5", BotRule: schemas.BotRuleRate, BotDetail: "earlier"},
	}
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{
			name: "user-agent and IP rules",
			opts: Options{UserAgentFile: "testdata/user_agent_patterns.txt", IPFile: "testdata/ip_deny.txt", UACacheSize: 16},
			want: []string{
				"human|192.0.2.10||",
				"no-ua|192.0.2.11||",
				"googlebot|192.0.2.12|user_agent|crawler-user-agents: Googlebot\\/",
				"headless-on-denied-ip|203.0.113.5|user_agent|crawler-user-agents: HeadlessChrome",
				"browser-on-denied-ip|203.0.113.77|ip|203.0.113.0/24",
				"browser-on-denied-ipv6|2001:db8:bad:1::9|ip|2001:db8:bad::/48",
				"own-monitor|192.0.2.13|user_agent|file: ^AcmeMonitor/",
				"already-marked|203.0.113.5|rate|earlier",
			},
		},
		{
			name: "built-in rules only",
			opts: Options{},
			want: []string{
				"human|192.0.2.10||",
				"no-ua|192.0.2.11||",
				"googlebot|192.0.2.12|user_agent|crawler-user-agents: Googlebot\\/",
				"headless-on-denied-ip|203.0.113.5|user_agent|crawler-user-agents: HeadlessChrome",
				"browser-on-denied-ip|203.0.113.77||",
				"browser-on-denied-ipv6|2001:db8:bad:1::9||",
				// Without the file, isbot's pattern for a bare name/version marks it.
				`own-monitor|192.0.2.13|user_agent|isbot: ^[\w \.\-\(?:\):%]+(?:/v?\d+(?:\.\d+)?(?:\.\d{1,10})*?)?(?:,|$)`,
				"already-marked|203.0.113.5|rate|earlier",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMarker(t.Context(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range events { // e is a copy
				m.Apply(&e)
				got = append(got, formatMarked(e))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("marked:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestNewMarkerErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{name: "missing UA file", opts: Options{UserAgentFile: filepath.Join(dir, "nope.txt")}, want: "UserAgentFile"},
		{name: "bad pattern", opts: Options{UserAgentFile: write("ua.txt", "ok\nbot(?=x)\n")}, want: "line 2"},
		{name: "missing IP file", opts: Options{IPFile: filepath.Join(dir, "nope.txt")}, want: "IPFile"},
		{name: "bad IP entry", opts: Options{IPFile: write("ip.txt", "10.0.0.0/8\n10.0.0.0/40\n")}, want: "line 2"},
		{name: "unregistered scheme", opts: Options{IPFile: "hdfs://x/deny.txt"}, want: `scheme "hdfs" not registered`},
		{name: "negative cache", opts: Options{UACacheSize: -5}, want: "UACacheSize is -5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewMarker(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewMarker error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
