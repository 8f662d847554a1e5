package botfilter

import (
	"context"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn2x1[context.Context, schemas.Event, schemas.Event](&markFn{})
}

var (
	markedUserAgent = beam.NewCounter("botfilter", "marked_user_agent")
	markedIP        = beam.NewCounter("botfilter", "marked_ip")
	alreadyMarked   = beam.NewCounter("botfilter", "already_marked")
	notMarked       = beam.NewCounter("botfilter", "not_marked")
)

// Mark applies the user-agent and IP rules (see the package documentation)
// to events, a PCollection<schemas.Event> whose IP is still the raw address,
// and returns a PCollection<schemas.Event>: every event, with BotRule and
// BotDetail set on those a rule matched. It panics on invalid options; a rule
// file that cannot be read or parsed fails the workers' setup with an error
// naming the file and line.
func Mark(s beam.Scope, events beam.PCollection, opts Options) beam.PCollection {
	s = s.Scope("botfilter.Mark")
	if err := opts.validate(); err != nil {
		panic(err)
	}
	return beam.ParDo(s, &markFn{
		UserAgentFile: opts.UserAgentFile,
		IPFile:        opts.IPFile,
		UACacheSize:   opts.UACacheSize,
	}, events)
}

// Marker applies the user-agent and IP rules to single events, without Beam.
// It is safe for concurrent use.
type Marker struct {
	ua *uaRule
	ip *ipRule
}

// NewMarker reads the rule files named in opts and builds the rules. Building
// the graph does not need it; call it to check a configuration up front.
func NewMarker(ctx context.Context, opts Options) (*Marker, error) {
	if err := opts.validate(); err != nil {
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

// Apply marks e when a rule matches and returns the rule that did
// (schemas.BotRuleUserAgent or schemas.BotRuleIP), or "" when none did. An
// event that already has a BotRule is left alone and gives "".
func (m *Marker) Apply(e *schemas.Event) string {
	if e.BotRule != "" {
		return ""
	}
	if d := m.ua.check(e.UserAgent); d != "" {
		e.BotRule, e.BotDetail = schemas.BotRuleUserAgent, d
		return e.BotRule
	}
	if d := m.ip.check(e.IP); d != "" {
		e.BotRule, e.BotDetail = schemas.BotRuleIP, d
		return e.BotRule
	}
	return ""
}

// markFn applies a Marker; its fields are Options.
type markFn struct {
	UserAgentFile string
	IPFile        string
	UACacheSize   int

	marker *Marker
}

func (f *markFn) Setup(ctx context.Context) error {
	m, err := NewMarker(ctx, Options{UserAgentFile: f.UserAgentFile, IPFile: f.IPFile, UACacheSize: f.UACacheSize})
	if err != nil {
		return err
	}
	f.marker = m
	return nil
}

func (f *markFn) ProcessElement(ctx context.Context, e schemas.Event) schemas.Event {
	if e.BotRule != "" {
		alreadyMarked.Inc(ctx, 1)
		return e
	}
	switch f.marker.Apply(&e) {
	case schemas.BotRuleUserAgent:
		markedUserAgent.Inc(ctx, 1)
	case schemas.BotRuleIP:
		markedIP.Inc(ctx, 1)
	default:
		notMarked.Inc(ctx, 1)
	}
	return e
}
