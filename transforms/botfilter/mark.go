package botfilter

import (
	"context"
	"fmt"

	"github.com/example/clickstream/schemas"
)

// Marker applies the user-agent and IP rules to single events. It is safe
// for concurrent use.
type Marker struct {
	ua *uaRule
	ip *ipRule
}

// NewMarker reads the rule files named in opts and builds the rules.
func NewMarker(ctx context.Context, opts Options) (*Marker, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	var extra []uaPattern
	if opts.UserAgentFile != "" {
		r, err := readRuleFile(ctx, opts.UserAgentFile)
		if err != nil {
			return nil, fmt.Errorf("botfilter: UserAgentFile: %w", err)
		}
		if extra, err = parsePatternLines(r, SourceFile); err != nil {
			return nil, fmt.Errorf("botfilter: UserAgentFile %s: %w", opts.UserAgentFile, err)
		}
	}
	ua, err := newUARule(extra, opts.cacheSize())
	if err != nil {
		return nil, fmt.Errorf("botfilter: %w", err)
	}
	m := &Marker{ua: ua}
	if opts.IPFile != "" {
		r, err := readRuleFile(ctx, opts.IPFile)
		if err != nil {
			return nil, fmt.Errorf("botfilter: IPFile: %w", err)
		}
		if m.ip, err = parseIPList(r); err != nil {
			return nil, fmt.Errorf("botfilter: IPFile %s: %w", opts.IPFile, err)
		}
	}
	return m, nil
}

// Apply sets e's BotRule (schemas.BotRuleUserAgent or schemas.BotRuleIP)
// and BotDetail when a rule matches. An event that already has a BotRule is
// left alone.
func (m *Marker) Apply(e *schemas.Event) {
	if e.BotRule != "" {
		return
	}
	if d := m.ua.check(e.UserAgent); d != "" {
		e.BotRule, e.BotDetail = schemas.BotRuleUserAgent, d
		return
	}
	if d := m.ip.check(e.IP); d != "" {
		e.BotRule, e.BotDetail = schemas.BotRuleIP, d
	}
}
