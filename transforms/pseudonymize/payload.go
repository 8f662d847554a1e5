package pseudonymize

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// UserKeyPrefix marks a user id replaced in a dead-letter payload.
const UserKeyPrefix = "user_key:"

// Payload returns raw ready for the dead_letter table: identifiers replaced
// (see the package documentation), valid UTF-8, and at most limit bytes long,
// cut on a character boundary (limit <= 0: no cut).
func (p *Pseudonymizer) Payload(raw []byte, limit int) string {
	var s string
	if out, err := p.rewriteJSON(raw); err == nil {
		s = out
	} else {
		s = p.scrub(string(raw))
	}
	return Truncate(strings.ToValidUTF8(s, "\uFFFD"), limit)
}

// Truncate cuts s to at most limit bytes without splitting a UTF-8 sequence
// (limit <= 0: no cut).
func Truncate(s string, limit int) string {
	if limit <= 0 || len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// rewriteJSON re-encodes one JSON value token by token, so that keys keep
// their order and numbers their spelling, replacing identifier values.
func (p *Pseudonymizer) rewriteJSON(raw []byte) (string, error) {
	if !json.Valid(raw) {
		return "", errors.New("not JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	w := &jsonWriter{}
	// Per open container: is it an object, and was its last token a key?
	type frame struct{ object, afterKey bool }
	var stack []frame
	for {
		top := len(stack) - 1
		inObject := top >= 0 && stack[top].object
		if inObject && stack[top].afterKey && isIdentifier(w.lastKey) {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return "", err
			}
			w.value(p.identifier(w.lastKey, v))
			stack[top].afterKey = false
			continue
		}
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		if s, ok := tok.(string); ok && inObject && !stack[top].afterKey {
			w.key(s)
			stack[top].afterKey = true
			continue
		}
		if inObject {
			stack[top].afterKey = false
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				w.open(byte(t))
				stack = append(stack, frame{object: t == '{'})
			default:
				w.close(byte(t))
				stack = stack[:top]
			}
		default:
			w.value(t)
		}
	}
	return w.b.String(), nil
}

func isIdentifier(field string) bool {
	return strings.EqualFold(field, "ip") || strings.EqualFold(field, "user_id")
}

// identifier returns the replacement for the value v of field ip or user_id:
// nil stays null; a value of another type than string (a number user id, an
// object) is replaced by the hash of its JSON text, as it may still identify.
func (p *Pseudonymizer) identifier(field string, v json.RawMessage) any {
	if string(v) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		s = string(v)
	}
	if strings.EqualFold(field, "ip") {
		return p.IP(s)
	}
	return UserKeyPrefix + p.UserKey(s)
}

// jsonWriter writes compact JSON, inserting separators itself.
type jsonWriter struct {
	b       bytes.Buffer
	first   []bool // per open container: nothing written in it yet
	lastKey string
	inValue bool // a key was just written: no comma before its value
}

func (w *jsonWriter) sep() {
	if w.inValue {
		w.inValue = false
		return
	}
	if n := len(w.first); n > 0 {
		if !w.first[n-1] {
			w.b.WriteByte(',')
		}
		w.first[n-1] = false
	}
}

func (w *jsonWriter) open(c byte) {
	w.sep()
	w.b.WriteByte(c)
	w.first = append(w.first, true)
}

func (w *jsonWriter) close(c byte) {
	w.b.WriteByte(c)
	w.first = w.first[:len(w.first)-1]
}

func (w *jsonWriter) key(k string) {
	w.sep()
	w.str(k)
	w.b.WriteByte(':')
	w.lastKey = k
	w.inValue = true
}

func (w *jsonWriter) value(v any) {
	w.sep()
	switch t := v.(type) {
	case nil:
		w.b.WriteString("null")
	case bool:
		if t {
			w.b.WriteString("true")
		} else {
			w.b.WriteString("false")
		}
	case json.Number:
		w.b.WriteString(string(t))
	case string:
		w.str(t)
	}
}

func (w *jsonWriter) str(s string) {
	enc := json.NewEncoder(&w.b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	w.b.Truncate(w.b.Len() - 1) // Encode ends with a newline
}

var (
	userIDPattern = regexp.MustCompile(`(?i)("user_id"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)`)
	ipv4Pattern   = regexp.MustCompile(`\b(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\b`)
	// ipv6Candidate finds runs of hex digits, colons and dots with at least
	// two colons; netip decides which are addresses (not e.g. "10:15:30").
	ipv6Candidate = regexp.MustCompile(`(?i)[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*`)
)

// scrub replaces identifiers in text that is not JSON.
func (p *Pseudonymizer) scrub(s string) string {
	s = userIDPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := userIDPattern.FindStringSubmatch(m)
		v := sub[2]
		if strings.HasPrefix(v, `"`) {
			if err := json.Unmarshal([]byte(v), &v); err != nil {
				v = strings.Trim(sub[2], `"`)
			}
		}
		return sub[1] + `"` + UserKeyPrefix + p.UserKey(v) + `"`
	})
	s = ipv6Candidate.ReplaceAllStringFunc(s, func(m string) string {
		if _, ok := canonicalIP(m); ok {
			return p.IP(m)
		}
		return m
	})
	return ipv4Pattern.ReplaceAllStringFunc(s, p.IP)
}
