package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"iter"
	"net/netip"
	"strings"
	"sync"
	"unicode"
)

// IPMode says how [Pseudonymizer.IP] treats an address.
type IPMode string

// The IP modes (see the package documentation).
const (
	IPTruncate IPMode = "truncate"
	IPHash     IPMode = "hash"
	IPRaw      IPMode = "raw"
)

// ParseIPMode parses a mode name, case-insensitively; "" is [IPTruncate].
func ParseIPMode(s string) (IPMode, error) {
	switch m := IPMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return IPTruncate, nil
	case IPTruncate, IPHash, IPRaw:
		return m, nil
	default:
		return "", fmt.Errorf("pseudonymize: unknown IP mode %q: want truncate, hash or raw", s)
	}
}

const (
	userKeyHexLen = 32
	ipHashHexLen  = 16
)

// Pseudonymizer hashes user ids and pseudonymizes IP addresses with one key.
// It is safe for concurrent use.
type Pseudonymizer struct {
	mode IPMode
	// macs holds *mac values: an HMAC costs two block hashes and a few
	// allocations to set up, so each goroutine borrows a keyed one.
	macs sync.Pool
}

type mac struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// New returns a Pseudonymizer for key (see [LoadKey]); mode "" is
// [IPTruncate].
func New(key []byte, mode IPMode) (*Pseudonymizer, error) {
	if len(key) == 0 {
		return nil, errors.New("pseudonymize: empty key")
	}
	mode, err := ParseIPMode(string(mode))
	if err != nil {
		return nil, err
	}
	k := append([]byte(nil), key...)
	p := &Pseudonymizer{mode: mode}
	p.macs.New = func() any { return &mac{h: hmac.New(sha256.New, k)} }
	return p, nil
}

// Mode returns the IP mode.
func (p *Pseudonymizer) Mode() IPMode { return p.mode }

// sum appends the hex HMAC of prefix+s, cut to n hex digits, to dst.
func (p *Pseudonymizer) sum(dst []byte, prefix, s string, n int) []byte {
	m := p.macs.Get().(*mac)
	m.h.Reset()
	m.buf = append(append(m.buf[:0], prefix...), s...)
	m.h.Write(m.buf)
	sum := m.h.Sum(m.sum[:0])
	dst = hex.AppendEncode(dst, sum[:n/2])
	if cap(m.buf) > 4096 {
		m.buf = nil // do not pin one huge id in the pool
	}
	p.macs.Put(m)
	return dst
}

// UserKey returns the user key of userID: the first 32 hex digits of
// HMAC-SHA256(key, TrimID(userID)), so that every caller (events,
// dead-letter payloads, erasure requests) gives one person one key.
func (p *Pseudonymizer) UserKey(userID string) string {
	var b [userKeyHexLen]byte
	return string(p.sum(b[:0], "", TrimID(userID), userKeyHexLen))
}

// TrimID returns an id without surrounding white space and invisible
// format characters (zero-width space and joiners, word joiner, byte
// order mark), which copy and paste and some SDKs add: "\u200balice" and
// "alice" are one id.
func TrimID(id string) string {
	return strings.TrimFunc(id, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff'
	})
}

// IP returns the address ip names (see CanonicalIP) pseudonymized according
// to the mode, or "" when it names none.
func (p *Pseudonymizer) IP(ip string) string {
	a, ok := CanonicalIP(ip)
	if !ok {
		return ""
	}
	switch p.mode {
	case IPHash:
		var b [2 + ipHashHexLen]byte
		return string(p.sum(append(b[:0], "h:"...), "ip:", a.String(), ipHashHexLen))
	case IPRaw:
		return a.String()
	default:
		return truncate(a).String()
	}
}

// TruncateIP returns the address ip names (see CanonicalIP) with its host
// part zeroed (IPv4 /24, IPv6 /48), or "" when it names none. It is the
// truncate mode without a key.
func TruncateIP(ip string) string {
	a, ok := CanonicalIP(ip)
	if !ok {
		return ""
	}
	return truncate(a).String()
}

// CanonicalIP returns the client address an event's ip field names,
// unmapped from IPv4-mapped IPv6 and without a zone; ok is false when it
// names none. Besides a bare address it takes the forms that collectors
// and load balancers log: with a port (203.0.113.7:53211,
// [2001:db8::1]:443), in brackets ([2001:db8::1]), and an X-Forwarded-For
// list (203.0.113.7, 10.0.0.1), whose first entry is the client. An IPv6
// address with a port needs its brackets: 2001:db8::1:443 is an address.
func CanonicalIP(ip string) (addr netip.Addr, ok bool) {
	first, _, _ := strings.Cut(ip, ",")
	return hopIP(first)
}

// HopIPs yields the address of each entry of ip that names one, in order:
// the client's (as CanonicalIP reads it), then those of the proxies of a
// forwarded-for list.
func HopIPs(ip string) iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		for entry := range strings.SplitSeq(ip, ",") {
			if a, ok := hopIP(entry); ok && !yield(a) {
				return
			}
		}
	}
}

// hopIP parses one entry of an ip field: an address, with a port, or in
// brackets.
func hopIP(entry string) (netip.Addr, bool) {
	entry = strings.TrimSpace(entry)
	if a, ok := canonicalIP(entry); ok {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(entry); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if inner, ok := strings.CutPrefix(entry, "["); ok {
		if inner, ok := strings.CutSuffix(inner, "]"); ok {
			return canonicalIP(inner)
		}
	}
	return netip.Addr{}, false
}

// canonicalIP parses a bare address (payload scrubbing matches nothing
// else), unmapped and without a zone.
func canonicalIP(ip string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func truncate(a netip.Addr) netip.Addr {
	bits := 48
	if a.Is4() {
		bits = 24
	}
	pfx, _ := a.Prefix(bits) // cannot fail: bits fits both families
	return pfx.Addr()
}
