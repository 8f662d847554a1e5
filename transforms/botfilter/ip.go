package botfilter

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"

	"github.com/example/clickstream/internal/pseudonym"
)

// ipRule is the IP deny list.
type ipRule struct {
	set *netipx.IPSet
	// entries maps each listed prefix (masked) to its BotDetail (see
	// entryDetail); bits4 and bits6 are the prefix lengths in use, longest
	// first, so the most specific entry is named.
	entries      map[netip.Prefix]string
	bits4, bits6 []int
}

// parseIPList reads one IPv4 or IPv6 address or CIDR prefix per line; # starts
// a comment, blank lines are skipped. A prefix with host bits set
// (10.1.2.3/8) is taken as its network.
func parseIPList(r io.Reader) (*ipRule, error) {
	var b netipx.IPSetBuilder
	rule := &ipRule{entries: make(map[netip.Prefix]string)}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		p, err := parseIPEntry(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q is neither an IP address nor a CIDR prefix", n, line)
		}
		b.AddPrefix(p)
		if _, dup := rule.entries[p]; !dup {
			rule.entries[p] = entryDetail(p, n)
		}
		if p.Addr().Is4() {
			rule.bits4 = append(rule.bits4, p.Bits())
		} else {
			rule.bits6 = append(rule.bits6, p.Bits())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	set, err := b.IPSet()
	if err != nil {
		return nil, err
	}
	rule.set = set
	for _, bits := range []*[]int{&rule.bits4, &rule.bits6} {
		slices.Sort(*bits)
		*bits = slices.Compact(*bits)
		slices.Reverse(*bits)
	}
	return rule, nil
}

// Prefix lengths up to which a deny-list entry is a network rather than
// (nearly) one host's address: those the ip column keeps when it truncates
// (IPv4 /24, IPv6 /48).
const (
	networkBits4 = 24
	networkBits6 = 48
)

// entryDetail names a deny-list entry for BotDetail without ever storing a
// full address next to the anonymized ip column: a network by its masked
// prefix ("203.0.113.0/24", whatever host bits the file wrote), a longer
// prefix or a single address only by its line in the file and its length
// ("deny list line 4: /32").
func entryDetail(p netip.Prefix, line int) string {
	limit := networkBits6
	if p.Addr().Is4() {
		limit = networkBits4
	}
	if p.Bits() <= limit {
		return p.String()
	}
	return fmt.Sprintf("deny list line %d: /%d", line, p.Bits())
}

func parseIPEntry(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// check returns the deny-list entry that contains an address ip names, or
// "" when none does or ip names no address. Every entry of a
// forwarded-for list is checked (pseudonym.HopIPs): its first is whatever
// the client claims, so a listed client could otherwise send its own list.
func (r *ipRule) check(ip string) string {
	if r == nil || ip == "" {
		return ""
	}
	for a := range pseudonym.HopIPs(ip) {
		if e := r.entryOf(a); e != "" {
			return e
		}
	}
	return ""
}

// entryOf returns the most specific deny-list entry that contains a, or "".
func (r *ipRule) entryOf(a netip.Addr) string {
	if !r.set.Contains(a) {
		return ""
	}
	bits := r.bits6
	if a.Is4() {
		bits = r.bits4
	}
	for _, n := range bits {
		p, err := a.Prefix(n)
		if err != nil {
			continue
		}
		if e, ok := r.entries[p]; ok {
			return e
		}
	}
	return ""
}
