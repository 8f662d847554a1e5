package pseudonym

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
)

// UserKeyPrefix marks a user id replaced in a dead-letter payload.
const UserKeyPrefix = "user_key:"

// WithheldKey is the first key of the object that stands for a payload
// whose user id cannot be rewritten reliably (see the package
// documentation).
const WithheldKey = "payload_withheld"

// Payload returns raw ready for the dead_letter table: identifiers replaced
// (see the package documentation), valid UTF-8, and at most limit bytes long,
// cut on a character boundary (limit <= 0: no cut). Text that is not JSON is
// scrubbed only as far as the cut needs (textPrefix).
func (p *Pseudonymizer) Payload(raw []byte, limit int) string {
	s, ok := p.rewriteJSON(raw)
	if !ok {
		s, ok = p.scrubText(strings.ToValidUTF8(string(textPrefix(raw, limit)), "\uFFFD"))
	}
	if !ok {
		s = p.withheld(raw)
	}
	return Truncate(s, limit)
}

// textPrefix returns the part of raw, text that is not JSON, that Payload
// scrubs when it keeps limit bytes: all of raw up to twice the limit;
// otherwise a prefix that ends between limit and 2×limit bytes, just after
// the last ',', '}' or ']' there (where a "user_id" pair ends), or failing
// that just after the last ASCII byte that no pattern spans (anything but
// a letter, a digit, '.', ':', '_' or '\\'), so that no pair, IP
// literal, escape or key is cut in two; raw whole if there is neither. A
// pair cut in two all the same (its value holds the byte cut after) reads
// as an unpaired mention and withholds the payload; a mention after the
// cut, which would never be stored, does not. Unless replacements shrink
// the prefix by more than its last limit bytes, the limit bytes kept are
// those of the whole text scrubbed.
//
// A line longer than the reader's limit arrives cut to 256 KiB, which is
// never JSON: scrubbing it whole took about 30 ms, for the 16 KiB the
// dead_letter table keeps (1.6 s of CPU for the 51 such records of the
// 1M-record bench data).
func textPrefix(raw []byte, limit int) []byte {
	if limit <= 0 || len(raw) <= 2*limit {
		return raw
	}
	window := raw[limit : 2*limit]
	if i := bytes.LastIndexAny(window, ",}]"); i >= 0 {
		return raw[:limit+i+1]
	}
	if i := bytes.LastIndexFunc(window, func(r rune) bool {
		return r < utf8.RuneSelf && !isWordChar(byte(r)) && r != '\\'
	}); i >= 0 {
		return raw[:limit+i+1]
	}
	return raw
}

// Attributes returns Pub/Sub message attributes as a JSON object (keys
// sorted) scrubbed like a valid JSON payload, or "" when there are none.
func (p *Pseudonymizer) Attributes(a map[string]string) string {
	if len(a) == 0 {
		return ""
	}
	b, _ := json.Marshal(a)  // a map of strings always encodes
	s, _ := p.rewriteJSON(b) // and is valid JSON
	return s
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
// their order and numbers their spelling, replacing identifier values and
// IP literals in every key and string. ok is false when raw is not JSON.
// The result is valid UTF-8: the decoder replaces invalid bytes.
func (p *Pseudonymizer) rewriteJSON(raw []byte) (out string, ok bool) {
	if !json.Valid(raw) {
		return "", false
	}
	if plain(raw) {
		return string(raw), true
	}
	return p.rewriteTokens(raw)
}

// plain reports whether raw, valid JSON, is already what rewriteTokens
// writes for it, so that it can be kept as it is: compact, printable ASCII
// without escapes, and no string that rewriting would touch (none contains
// "user_id" or equals "ip" in any case, and none has the colons or dots of
// an IP literal, see mayHoldIP). Most properties objects are plain (a
// screen size, an app version); a payload with a timestamp or an address
// is not.
func plain(raw []byte) bool {
	inString, start := false, 0
	for i, c := range raw {
		switch {
		case c < ' ' || c >= utf8.RuneSelf || c == '\\':
			return false
		case c == '"':
			if inString && touched(string(raw[start:i])) {
				return false
			}
			inString, start = !inString, i+1
		case !inString && c == ' ':
			return false
		}
	}
	return true
}

// touched reports whether rewriting might change s, an ASCII string: it is
// a user id or ip key, or it may hold an IP literal.
func touched(s string) bool {
	return mentionsUserID(s) || isIPKey(s) || mayHoldIP(s)
}

// rewriteTokens is rewriteJSON's general case, for valid JSON. It reads
// tokens with goccy/go-json's Decoder, which gives the same tokens as
// encoding/json's (a fuzz campaign of 172k valid inputs compared the two
// rewrites) in half the time: encoding/json builds an error value after
// every scalar. With str's shortcut and run-by-run IP scrubbing,
// BenchmarkPayload/event went 67-79 -> 30-31 µs (December 7).
func (p *Pseudonymizer) rewriteTokens(raw []byte) (out string, ok bool) {
	dec := gojson.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	w := &jsonWriter{}
	w.b.Grow(len(raw))
	// Per open container: is it an object, and was its last token a key?
	type frame struct{ object, afterKey bool }
	var stack []frame
	key := "" // the last key read, as sent
	for {
		top := len(stack) - 1
		inObject := top >= 0 && stack[top].object
		if inObject && stack[top].afterKey && (mentionsUserID(key) || isIPKey(key)) {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return "", false
			}
			w.value(p.identifier(key, v))
			stack[top].afterKey = false
			continue
		}
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", false
		}
		if s, ok := tok.(string); ok && inObject && !stack[top].afterKey {
			key = s
			w.key(p.scrubIPs(s))
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
		case string:
			w.value(p.scrubIPs(t))
		default:
			w.value(t)
		}
	}
	return w.b.String(), true
}

// mentionsUserID reports whether s contains "user_id" or "userid" in any
// case, as a key that names a user id does ("user_id", "USER_ID",
// "prev_user_id", and the camelCase "userId" of Segment-style payloads).
// Folding through upper case catches the spellings a case-insensitive JSON
// decoder also takes for user_id (e.g. "uſer_id", with a long s), and every
// match of the (?i)user_?id patterns; ASCII text, the usual one, is compared
// without building folded copies.
func mentionsUserID(k string) bool {
	if !isASCII(k) {
		folded := strings.ToLower(strings.ToUpper(k))
		return strings.Contains(folded, "user_id") || strings.Contains(folded, "userid")
	}
	for i := 0; i+len("userid") <= len(k); i++ {
		if !strings.EqualFold(k[i:i+len("user")], "user") {
			continue
		}
		rest := k[i+len("user"):]
		if rest = strings.TrimPrefix(rest, "_"); len(rest) >= len("id") && strings.EqualFold(rest[:len("id")], "id") {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isIPKey(k string) bool { return strings.EqualFold(k, "ip") }

// identifier returns the replacement for the value v of a user id or ip
// key: nil stays null; a value of another type than string (a number user
// id, an object) is replaced by the hash of its JSON text, as it may still
// identify.
func (p *Pseudonymizer) identifier(key string, v json.RawMessage) any {
	if string(v) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		s = string(v)
	}
	if mentionsUserID(key) {
		return UserKeyPrefix + p.UserKey(s)
	}
	return p.IP(s)
}

// jsonWriter writes compact JSON, inserting separators itself.
type jsonWriter struct {
	b       bytes.Buffer
	first   []bool // per open container: nothing written in it yet
	inValue bool   // a key was just written: no comma before its value
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

// str writes s as a JSON string the way encoding/json's Encoder does
// without HTML escapes: printable ASCII with neither '"' nor '\\', most
// strings, needs no escape and is written as it is.
func (w *jsonWriter) str(s string) {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r > '~' || r == '"' || r == '\\' }) {
		w.b.WriteByte('"')
		w.b.WriteString(s)
		w.b.WriteByte('"')
		return
	}
	enc := json.NewEncoder(&w.b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	w.b.Truncate(w.b.Len() - 1) // Encode ends with a newline
}

var (
	// userIDPair is a "user_id" (or "userid") key and a value that ends
	// where a JSON value would: a string, or a bare token (number, null, or
	// an unquoted word), followed by , } ] or the end of the text.
	userIDPair = regexp.MustCompile(`(?i)"user_?id"\s*:\s*("(?:[^"\\]|\\.)*"|[^\s,}\]"]+)\s*(?:[,}\]]|$)`)
	// userIDMention is any mention of the key, e.g. in single quotes or
	// without a value.
	userIDMention = regexp.MustCompile(`(?i)user_?id`)
	ipv4Pattern   = regexp.MustCompile(`\b(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\b`)
	// ipv6Candidate finds runs of hex digits, colons and dots with at least
	// two colons; netip decides which are addresses (not e.g. "10:15:30").
	ipv6Candidate = regexp.MustCompile(`(?i)[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*`)
)

// scrubText replaces identifiers in text that is not JSON. ok is false when
// a user id cannot be rewritten reliably: the text mentions user_id anywhere
// but as the key of a "user_id": <value> pair.
func (p *Pseudonymizer) scrubText(s string) (out string, ok bool) {
	s = unescapeWordChars(s)
	if !mentionsUserID(s) { // nothing for the patterns below to find
		return p.scrubIPs(s), true
	}
	pairs := userIDPair.FindAllStringSubmatchIndex(s, -1)
	for _, m := range userIDMention.FindAllStringIndex(s, -1) {
		if !inPair(m, pairs) {
			return "", false
		}
	}
	var b strings.Builder
	last := 0
	for _, pair := range pairs {
		start, end := pair[2], pair[3] // the value
		b.WriteString(s[last:start])
		b.WriteString(p.textUserID(s[start:end]))
		last = end
	}
	b.WriteString(s[last:])
	return p.scrubIPs(b.String()), true
}

func inPair(m []int, pairs [][]int) bool {
	for _, pair := range pairs {
		if m[0] >= pair[0] && m[1] <= pair[1] {
			return true
		}
	}
	return false
}

// textUserID is the replacement of a user id value found in text: null
// stays; a string is hashed as decoded, anything else as written.
func (p *Pseudonymizer) textUserID(v string) string {
	if v == "null" {
		return v
	}
	if strings.HasPrefix(v, `"`) {
		var s string
		if err := json.Unmarshal([]byte(v), &s); err == nil {
			v = s
		} else {
			v = v[1 : len(v)-1]
		}
	}
	return `"` + UserKeyPrefix + p.UserKey(v) + `"`
}

// unescapeWordChars undoes backslash escapes of letters, digits, '_', '.'
// and ':' ("\u005f", "\_"), which never change a JSON text's structure but
// would hide a key or an address from the patterns. JSON's own escapes of
// control characters (\n, \t, ...) and "\\" are kept.
func unescapeWordChars(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		next := s[i+1]
		switch {
		case next == 'u' && i+6 <= len(s):
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil && v < utf8.RuneSelf && isWordChar(byte(v)) {
				b.WriteByte(byte(v))
				i += 5
				continue
			}
		case isWordChar(next) && !strings.ContainsRune("bfnrtu", rune(next)):
			b.WriteByte(next)
			i++
			continue
		}
		b.WriteByte(c)
		b.WriteByte(next) // keeps "\\" whole, so its second backslash escapes nothing
		i++
	}
	return b.String()
}

func isWordChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '.' || c == ':'
}

// An IPv6 literal has at least ipv6Colons colons, an IPv4 literal
// ipv4Dots dots.
const ipv6Colons, ipv4Dots = 2, 3

// mayHoldIP reports whether s has the colons or dots an IP literal needs;
// scrubIPs changes no other text.
func mayHoldIP(s string) bool {
	return strings.Count(s, ":") >= ipv6Colons || strings.Count(s, ".") >= ipv4Dots
}

// scrubIPs replaces every IPv4 and IPv6 literal in s as IP does.
//
// A literal is made of hex digits, dots and colons only, so each pattern
// runs on the runs of those characters that have the colons or dots a
// match needs, one at a time, rather than on the whole text: Go's regexp
// tries a pattern without a literal prefix at every byte. Each run is
// matched with one byte of context on either side, which no match can
// take but which ipv4Pattern's \b reads, so the matches are those of the
// whole text. With scrubText's check for a mention of user_id first,
// BenchmarkPayload/access_log went 51-57 -> 11-12 µs (December 7).
func (p *Pseudonymizer) scrubIPs(s string) string {
	s = replaceInRuns(s, ':', ipv6Colons, func(window string) string {
		return ipv6Candidate.ReplaceAllStringFunc(window, func(m string) string {
			if _, ok := canonicalIP(m); ok {
				return p.IP(m)
			}
			return m
		})
	})
	return replaceInRuns(s, '.', ipv4Dots, func(window string) string {
		return ipv4Pattern.ReplaceAllStringFunc(window, p.IP)
	})
}

// replaceInRuns returns s with replace applied to each run of address
// characters (isAddressChar) that has at least n of sep. replace sees the
// run's window, the run and the byte before and after it where s has them,
// and must leave those two bytes as they are.
func replaceInRuns(s string, sep byte, n int, replace func(window string) string) string {
	if strings.Count(s, string(sep)) < n {
		return s
	}
	var b strings.Builder
	last := 0 // s[:last] is in b
	for i := 0; i < len(s); {
		if !isAddressChar(s[i]) {
			i++
			continue
		}
		start, seps := i, 0
		for ; i < len(s) && isAddressChar(s[i]); i++ {
			if s[i] == sep {
				seps++
			}
		}
		if seps < n {
			continue
		}
		lo, hi := max(start-1, 0), min(i+1, len(s))
		r := replace(s[lo:hi])
		b.WriteString(s[last:start])
		b.WriteString(r[start-lo : len(r)-(hi-i)]) // the run, without its context
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// isAddressChar reports whether c may be part of an IP literal: a hex
// digit, '.' or ':' (ipv6Candidate's (?i) folds no other character into
// them).
func isAddressChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':'
}

// withheld stands for a payload that cannot be scrubbed reliably: its keyed
// hash and length, never its content.
func (p *Pseudonymizer) withheld(raw []byte) string {
	var b []byte
	b = append(b, `{"`+WithheldKey+`":"a user_id could not be rewritten","hmac":"`...)
	b = p.sum(b, "payload:", string(raw), userKeyHexLen)
	b = append(b, `","bytes":`...)
	b = strconv.AppendInt(b, int64(len(raw)), 10)
	return string(append(b, '}'))
}
