package botfilter

import (
	"strings"
	"testing"
)

func TestIPRule(t *testing.T) {
	list := `# cloud ranges we see scrapers from
203.0.113.0/24      # example range
203.0.113.128/25
198.51.100.7
10.1.2.3/8          # host bits set: the network 10.0.0.0/8

2001:db8:abcd::/48
::ffff:192.0.2.0/120
2001:db8:ffff::7
`
	rule, err := parseIPList(strings.NewReader(list))
	if err != nil {
		t.Fatal(err)
	}
	// Networks are named by their masked prefix; narrower entries only by
	// line and length, never by a full address (the ip column next to
	// bot_detail is truncated).
	tests := []struct{ ip, want string }{
		{ip: "203.0.113.9", want: "203.0.113.0/24"},
		{ip: "203.0.113.200", want: "deny list line 3: /25"}, // the most specific entry
		{ip: "198.51.100.7", want: "deny list line 4: /32"},
		{ip: "198.51.100.8", want: ""},
		{ip: "10.200.0.1", want: "10.0.0.0/8"},                     // host bits of the entry not shown
		{ip: "::ffff:198.51.100.7", want: "deny list line 4: /32"}, // IPv4-mapped
		{ip: "2001:db8:abcd:12::1", want: "2001:db8:abcd::/48"},
		{ip: "2001:db8:abce::1", want: ""},
		{ip: "2001:db8:ffff::7", want: "deny list line 9: /128"},
		{ip: "192.0.2.55", want: "192.0.2.0/24"},
		{ip: "fe80::1%eth0", want: ""},
		{ip: "198.51.100.7:53211", want: "deny list line 4: /32"},     // with a port, as load balancers log it
		{ip: "198.51.100.7, 10.0.0.1", want: "deny list line 4: /32"}, // a forwarded-for list: its client
		// Any entry: the client writes the list's first entries itself.
		{ip: "198.51.100.8, 198.51.100.7", want: "deny list line 4: /32"},
		{ip: "unknown, 198.51.100.7:443", want: "deny list line 4: /32"},
		{ip: ", 198.51.100.7", want: "deny list line 4: /32"},
		{ip: "192.0.2.300, 198.51.100.8", want: ""},
		{ip: "[2001:db8:ffff::7]:443", want: "deny list line 9: /128"},
		{ip: "not an ip", want: ""},
		{ip: "", want: ""},
	}
	for _, tt := range tests {
		if got := rule.check(tt.ip); got != tt.want {
			t.Errorf("check(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
	var none *ipRule
	if got := none.check("203.0.113.9"); got != "" {
		t.Errorf("nil rule matched: %q", got)
	}
}

func TestParseIPListErrors(t *testing.T) {
	tests := []struct{ list, want string }{
		{list: "203.0.113.0/24\n203.0.113.0/33\n", want: "line 2"},
		{list: "example.com\n", want: `"example.com" is neither an IP address nor a CIDR prefix`},
		{list: "\n\n# c\n1.2.3\n", want: "line 4"},
	}
	for _, tt := range tests {
		_, err := parseIPList(strings.NewReader(tt.list))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseIPList(%q) error = %v, want it to contain %q", tt.list, err, tt.want)
		}
	}
}
