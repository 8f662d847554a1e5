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

// cloudV4 are /16 prefixes of hosting providers: where scripted bots run.
var cloudV4 = []string{"3.120.", "18.156.", "34.89.", "35.198.", "20.79.", "52.169.", "5.75.", "49.12.", "51.91.", "141.95.", "167.172.", "64.226."}

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
