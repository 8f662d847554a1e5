package generate

import (
	"fmt"
	"math/rand/v2"
)

// denyList is written to bot_ip_denylist.txt; the IP bots come from it and
// nothing else does (the ranges are reserved for documentation, RFC 5737 and
// RFC 3849, so no real visitor can hold them either).
var denyList = []string{
	"203.0.113.0/24",
	"192.0.2.0/25",
	"2001:db8:bad::/48",
}

const denyListHeader = `# Bot IP deny list: CIDR ranges whose traffic is bot traffic (rule "ip").
# One CIDR per line; blank lines and lines starting with # are ignored.
`

// residentialV4 are first octets of broadband and mobile ranges of European
// and US access networks (none private, shared, reserved or documentation).
var residentialV4 = []int{
	2, 5, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,
	109, 176, 178, 188, 212, 213, 217, 24, 50, 67, 68, 71, 73, 75, 76, 96, 98, 99, 174,
}

// residentialV6 are /32 prefixes of access networks that hand out IPv6.
var residentialV6 = []string{
	"2a02:8108", "2a02:8109", "2a02:810d", "2003:e4", "2003:c5", "2003:ea", "2a01:cb00", "2a01:e0a",
	"2a00:23c5", "2a02:c7f", "2a01:599", "2a02:a450", "2600:1700", "2601:18c", "2607:fb90", "2a02:6b8",
}

// cloudV4 are /16 prefixes of hosting providers: where scripted bots run.
var cloudV4 = []string{"3.120.", "18.156.", "34.89.", "35.198.", "20.79.", "52.169.", "5.75.", "49.12.", "51.91.", "141.95.", "167.172.", "64.226."}

func residentialIP(rng *rand.Rand, mobile bool) string {
	if rng.Float64() < 0.12 || (mobile && rng.Float64() < 0.25) {
		return fmt.Sprintf("%s:%x:%x:%x:%x:%x:%x", oneOf(rng, residentialV6),
			rng.IntN(0x10000), rng.IntN(0x10000), rng.IntN(0x10000), rng.IntN(0x10000), rng.IntN(0x10000), 1+rng.IntN(0xffff))
	}
	return fmt.Sprintf("%d.%d.%d.%d", oneOf(rng, residentialV4), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
}

func cloudIP(rng *rand.Rand) string {
	return fmt.Sprintf("%s%d.%d", oneOf(rng, cloudV4), rng.IntN(256), 1+rng.IntN(254))
}

// prefixIP completes a "a.b." or "a.b.c." prefix to a host address.
func prefixIP(rng *rand.Rand, prefix string) string {
	dots := 0
	for _, c := range prefix {
		if c == '.' {
			dots++
		}
	}
	if dots == 2 {
		return fmt.Sprintf("%s%d.%d", prefix, rng.IntN(256), 1+rng.IntN(254))
	}
	return fmt.Sprintf("%s%d", prefix, 1+rng.IntN(254))
}

// deniedIP is an address inside the deny list.
func deniedIP(rng *rand.Rand) string {
	switch rng.IntN(3) {
	case 0:
		return fmt.Sprintf("203.0.113.%d", 1+rng.IntN(254))
	case 1:
		return fmt.Sprintf("192.0.2.%d", 1+rng.IntN(126))
	default:
		return fmt.Sprintf("2001:db8:bad:%x:%x:%x:%x:%x", rng.IntN(0x10000), rng.IntN(0x10000), rng.IntN(0x10000), rng.IntN(0x10000), 1+rng.IntN(0xffff))
	}
}
