package pseudonym

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// testKey and the expected values below were computed independently with
// Python's hmac module, e.g.
// hmac.new(key, b"user-42", hashlib.sha256).hexdigest()[:32].
var testKey = []byte("test-key-0123456789abcdef0123456")

func mustNew(t testing.TB, mode IPMode) *Pseudonymizer {
	t.Helper()
	p, err := New(testKey, mode)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("  s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(dir, "empty")
	if err := os.WriteFile(emptyFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PSEUDO_TEST_KEY", "s3cret-from-env")
	t.Setenv("PSEUDO_TEST_EMPTY", "")

	tests := []struct {
		name    string
		ref     string
		want    string
		wantErr string // substring of the error
	}{
		{name: "env", ref: "env:PSEUDO_TEST_KEY", want: "s3cret-from-env"},
		{name: "env unset", ref: "env:PSEUDO_TEST_UNSET", wantErr: "export PSEUDO_TEST_UNSET="},
		{name: "env empty", ref: "env:PSEUDO_TEST_EMPTY", wantErr: "unset or empty"},
		{name: "env no name", ref: "env:", wantErr: "names no variable"},
		{name: "file trimmed", ref: "file:" + keyFile, want: "s3cret-from-file"},
		{name: "file missing", ref: "file:" + filepath.Join(dir, "nope"), wantErr: "read key file"},
		{name: "file empty", ref: "file:" + emptyFile, wantErr: "is empty"},
		{name: "unknown scheme", ref: "gcpsm:projects/p/secrets/s", wantErr: `want "env:NAME" or "file:PATH"`},
		{name: "no scheme", ref: "0123456789abcdef", wantErr: "has no scheme"},
		{name: "raw key with colon is not echoed", ref: "deadbeef:cafe", wantErr: "unsupported key reference scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadKey(tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadKey(%q) error = %v, want it to contain %q", tt.ref, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "deadbeef") || strings.Contains(err.Error(), "0123456789abcdef") {
					t.Errorf("error %q echoes the reference", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadKey(%q): %v", tt.ref, err)
			}
			if string(got) != tt.want {
				t.Errorf("LoadKey(%q) = %q, want %q", tt.ref, got, tt.want)
			}
		})
	}
}

func TestParseIPMode(t *testing.T) {
	tests := []struct {
		in      string
		want    IPMode
		wantErr bool
	}{
		{in: "", want: IPTruncate},
		{in: "truncate", want: IPTruncate},
		{in: " HASH ", want: IPHash},
		{in: "raw", want: IPRaw},
		{in: "anonymize", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseIPMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseIPMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestNew(t *testing.T) {
	if _, err := New(nil, IPTruncate); err == nil {
		t.Error("New(nil key) succeeded")
	}
	if _, err := New(testKey, "mask"); err == nil {
		t.Error("New(bad mode) succeeded")
	}
	p, err := New(testKey, "")
	if err != nil || p.Mode() != IPTruncate {
		t.Errorf("New(mode \"\") = %v, %v; want truncate mode", p, err)
	}
}

func TestUserKey(t *testing.T) {
	p := mustNew(t, IPTruncate)
	tests := []struct{ in, want string }{
		{in: "user-42", want: "9f0b3ee327af6c2805862994f66a914a"},
		{in: "üser", want: "e9612977087c061f51236b996e25e3e3"},
		{in: "12345", want: "84a651e9744e5f3afb918ca9330d08a8"},
		{in: " user-42\t", want: "9f0b3ee327af6c2805862994f66a914a"}, // trimmed
	}
	for _, tt := range tests {
		if got := p.UserKey(tt.in); got != tt.want {
			t.Errorf("UserKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	other, _ := New([]byte("another key"), IPTruncate)
	if other.UserKey("user-42") == p.UserKey("user-42") {
		t.Error("two keys give the same user key")
	}
	long := strings.Repeat("x", 10000)
	if got := p.UserKey(long); len(got) != 32 {
		t.Errorf("UserKey(long) = %q, want 32 hex digits", got)
	}
}

func TestUserKeyConcurrent(t *testing.T) {
	p := mustNew(t, IPHash)
	ids := []string{"user-42", "üser", "12345", strings.Repeat("y", 5000)}
	want := make([]string, len(ids))
	for i, id := range ids {
		want[i] = p.UserKey(id)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 500 {
				i := (g + n) % len(ids)
				if got := p.UserKey(ids[i]); got != want[i] {
					t.Errorf("concurrent UserKey(%q) = %q, want %q", ids[i], got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestIP(t *testing.T) {
	tests := []struct {
		name string
		mode IPMode
		in   string
		want string
	}{
		{name: "v4 truncate", mode: IPTruncate, in: "198.51.100.23", want: "198.51.100.0"},
		{name: "v4 truncate spaces", mode: IPTruncate, in: " 198.51.100.23 ", want: "198.51.100.0"},
		{name: "v6 truncate", mode: IPTruncate, in: "2001:db8:1234:5678::1", want: "2001:db8:1234::"},
		{name: "v6 truncate zone", mode: IPTruncate, in: "fe80::1%eth0", want: "fe80::"},
		{name: "v4-mapped is v4", mode: IPTruncate, in: "::ffff:198.51.100.23", want: "198.51.100.0"},
		{name: "hash v4", mode: IPHash, in: "198.51.100.23", want: "h:854fc9d95ffaaf94"},
		{name: "hash v6 canonical", mode: IPHash, in: "2001:DB8:0::1", want: "h:924ef95d19399262"},
		{name: "raw", mode: IPRaw, in: "2001:DB8:0::1", want: "2001:db8::1"},
		{name: "invalid", mode: IPTruncate, in: "not-an-ip", want: ""},
		{name: "invalid hash", mode: IPHash, in: "300.1.1.1", want: ""},
		{name: "empty", mode: IPRaw, in: "", want: ""},
		// The forms collectors and load balancers log (see CanonicalIP).
		{name: "v4 with port", mode: IPTruncate, in: "198.51.100.23:53211", want: "198.51.100.0"},
		{name: "v6 with port", mode: IPRaw, in: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "v6 in brackets", mode: IPRaw, in: "[2001:db8::1]", want: "2001:db8::1"},
		{name: "forwarded-for list: the client", mode: IPRaw, in: "198.51.100.23, 10.0.0.1, 172.16.0.9", want: "198.51.100.23"},
		{name: "forwarded-for list with ports", mode: IPRaw, in: " [2001:db8::1]:443 ,10.0.0.1", want: "2001:db8::1"},
		{name: "forwarded-for list, first not an address", mode: IPRaw, in: "unknown, 10.0.0.1", want: ""},
		{name: "bad port", mode: IPRaw, in: "198.51.100.23:http", want: ""},
		{name: "unclosed bracket", mode: IPRaw, in: "[2001:db8::1", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustNew(t, tt.mode).IP(tt.in); got != tt.want {
				t.Errorf("IP(%q) in %s mode = %q, want %q", tt.in, tt.mode, got, tt.want)
			}
		})
	}
	if got := TruncateIP("203.0.113.9"); got != "203.0.113.0" {
		t.Errorf("TruncateIP = %q", got)
	}
}

func TestPayload(t *testing.T) {
	uk := func(id string) string { return UserKeyPrefix + mustNew(t, IPTruncate).UserKey(id) }
	tests := []struct {
		name  string
		mode  IPMode
		in    string
		limit int
		want  string
	}{
		{
			name: "event",
			in:   `{"event_id":"e1", "user_id":"u-1","ip":"198.51.100.23","price":79.90,"x":null}`,
			want: `{"event_id":"e1","user_id":"` + uk("u-1") + `","ip":"198.51.100.0","price":79.90,"x":null}`,
		},
		{
			name: "beacon: nested events, null user id, hash mode",
			mode: IPHash,
			in: `{"sent_at":"2026-11-23T10:15:31Z","ip":"2001:db8::1","events":[` +
				`{"event_id":"a","user_id":null,"ip":"198.51.100.23"},{"event_id":"b","user_id":"u-2","tags":["<b>",true]}]}`,
			want: `{"sent_at":"2026-11-23T10:15:31Z","ip":"h:924ef95d19399262","events":[` +
				`{"event_id":"a","user_id":null,"ip":"h:854fc9d95ffaaf94"},{"event_id":"b","user_id":"` + uk("u-2") + `","tags":["<b>",true]}]}`,
		},
		{
			name: "plain: kept as sent",
			in:   `{"screen":"1920x1080","n":1.50,"tags":["<b>",true,null],"o":{}}`,
			want: `{"screen":"1920x1080","n":1.50,"tags":["<b>",true,null],"o":{}}`,
		},
		{
			name: "an ip key that looks plain is still replaced",
			in:   `{"Ip":"x","n":5}`,
			want: `{"Ip":"","n":5}`,
		},
		{
			name: "wrong types are hashed too",
			in:   `{"user_id":12345,"IP":{"v":"198.51.100.23"}}`,
			want: `{"user_id":"` + uk("12345") + `","IP":""}`,
		},
		{
			name: "not an object: every string is scrubbed",
			in:   `["198.51.100.23",{"ip":"10.1.2.3"}]`,
			want: `["198.51.100.0",{"ip":"10.1.2.0"}]`,
		},
		{
			name: "IPs under any key and inside strings, in valid JSON",
			in: `{"client_ip":"203.0.113.9","x_forwarded_for":"203.0.113.9, 2001:db8:aa:bb::9",` +
				`"page_url":"https://203.0.113.9:8443/p?from=[2001:db8:1:2::7]","203.0.113.9":1,"t":"10:15:30.120"}`,
			want: `{"client_ip":"203.0.113.0","x_forwarded_for":"203.0.113.0, 2001:db8:aa::",` +
				`"page_url":"https://203.0.113.0:8443/p?from=[2001:db8:1::]","203.0.113.0":1,"t":"10:15:30.120"}`,
		},
		{
			name: "escaped key and escaped IP in valid JSON are decoded, then scrubbed",
			in:   `{"user\u005fid":"u-1","x":"\u0032\u00303.0.113.9"}`,
			want: `{"user_id":"` + uk("u-1") + `","x":"203.0.113.0"}`,
		},
		{
			name: "keys containing user_id, any case",
			in:   `{"prev_USER_ID":"u-1","User_Id":{"id":"u-2"},"user_ids":["u-3"]}`,
			want: `{"prev_USER_ID":"` + uk("u-1") + `","User_Id":"` + uk(`{"id":"u-2"}`) + `","user_ids":"` + uk(`["u-3"]`) + `"}`,
		},
		{
			name: "camelCase userId, any case, as Segment-style payloads send it",
			in:   `{"userId":"alice@example.com","anonymousId":"a-1","previousUserID":7,"useridentity":"x","user":"bob","uid":"u"}`,
			want: `{"userId":"` + uk("alice@example.com") + `","anonymousId":"a-1","previousUserID":"` + uk("7") + `","useridentity":"` + uk("x") + `","user":"bob","uid":"u"}`,
		},
		{
			name: "user id trimmed as in fact_events",
			in:   `{"user_id":"  u-1 "}`,
			want: `{"user_id":"` + uk("u-1") + `"}`,
		},
		{
			name: "broken JSON is scrubbed",
			in:   `{"event_id":"e1","user_id":"u-1","ip":"198.51.100.23","page_url":"http://[2001:db8:1:2::7]/x","t":"10:15:30.120"`,
			want: `{"event_id":"e1","user_id":"` + uk("u-1") + `","ip":"198.51.100.0","page_url":"http://[2001:db8:1::]/x","t":"10:15:30.120"`,
		},
		{
			name: "broken JSON: IPs under any key",
			in:   `{"client_ip":"203.0.113.9","x_forwarded_for":"203.0.113.9, 2001:db8:aa:bb::9",}`,
			want: `{"client_ip":"203.0.113.0","x_forwarded_for":"203.0.113.0, 2001:db8:aa::",}`,
		},
		{
			name: "broken JSON: escaped key and trailing comma",
			in:   `{"user\u005fid":"alice",}`,
			want: `{"user_id":"` + uk("alice") + `",}`,
		},
		{
			name: "broken JSON: unquoted value",
			in:   `{"user_id": alice}`,
			want: `{"user_id": "` + uk("alice") + `"}`,
		},
		{
			name: "broken JSON: user id trimmed",
			in:   `{"user_id":" alice ",`,
			want: `{"user_id":"` + uk("alice") + `",`,
		},
		{
			name: "plain text",
			in:   `client 203.0.113.77 sent "user_id" : 12345, and junk`,
			want: `client 203.0.113.0 sent "user_id" : "` + uk("12345") + `", and junk`,
		},
		{
			name: "broken JSON: camelCase userId",
			in:   `{"userId":"alice",`,
			want: `{"userId":"` + uk("alice") + `",`,
		},
		{
			name: "userid in a query string: withheld",
			in:   `GET /p?userid=alice HTTP/1.1`,
			want: `{"payload_withheld":"a user_id could not be rewritten","hmac":"e5fdf61582a9abed7200542275aa5301","bytes":28}`,
		},
		{
			name: "user id in single quotes: withheld",
			in:   `{'user_id': 'alice'}`,
			want: `{"payload_withheld":"a user_id could not be rewritten","hmac":"a0894908a20c933902f87aad8e6d0010","bytes":20}`,
		},
		{
			name: "user id value of two words: withheld",
			in:   `client 203.0.113.77 sent "user_id" : 12345 and junk`,
			want: `{"payload_withheld":"a user_id could not be rewritten","hmac":"521d03954098b99b862f6c32663572d2","bytes":51}`,
		},
		{
			name: "invalid UTF-8 is replaced",
			in:   "bad \xff byte",
			want: "bad \uFFFD byte",
		},
		{
			name:  "cut on a character boundary",
			in:    `{"q":"ééé"}`,
			limit: 9, // `{"q":"é` is 8 bytes, the next é would end at 10
			want:  `{"q":"é`,
		},
		{
			name:  "no cut when it fits",
			in:    `{"q":"é"}`,
			limit: 10,
			want:  `{"q":"é"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustNew(t, tt.mode).Payload([]byte(tt.in), tt.limit)
			if got != tt.want {
				t.Errorf("Payload(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Payload returned invalid UTF-8: %q", got)
			}
		})
	}
}

// TestPayloadProbes: the records a review found to keep a raw user id or IP
// in dead_letter.payload never do.
func TestPayloadProbes(t *testing.T) {
	probes := []string{
		`{"user_id": alice}`,
		`{"user\u005fid":"alice",}`,
		`{'user_id': 'alice'}`,
		`{"user_id":"alice"`,
		`{"USER_ID" : "alice" , "x":`,
		`{"user_id":"al\"ice",`,
		`{"a\"user_id":"alice"}`,
		`user_id=alice&ip=203.0.113.9`,
		`{"client_ip":"203.0.113.9","x_forwarded_for":"203.0.113.9","page_url":"http://203.0.113.9/"}`,
		`{"client_ip":"203.0.113.9","x_forwarded_for":"203.0.113.9","page_url":"http://203.0.113.9/",`,
		`{"x":"\u0032\u0030\u0033.0.113.9",`,
	}
	for _, mode := range []IPMode{IPTruncate, IPHash} {
		p := mustNew(t, mode)
		for _, in := range probes {
			got := p.Payload([]byte(in), 0)
			if strings.Contains(got, "alice") || strings.Contains(got, "203.0.113.9") {
				t.Errorf("%s: Payload(%s) = %s keeps the user id or the IP", mode, in, got)
			}
		}
	}
}

func TestAttributes(t *testing.T) {
	p := mustNew(t, IPTruncate)
	got := p.Attributes(map[string]string{
		"x-forwarded-for": "203.0.113.9, 198.51.100.7",
		"user_id":         " alice ",
		"event_time":      "2026-11-01T10:00:00Z",
		"bad":             "\xff",
	})
	want := `{"bad":"` + "\uFFFD" + `","event_time":"2026-11-01T10:00:00Z","user_id":"` + UserKeyPrefix + p.UserKey("alice") +
		`","x-forwarded-for":"203.0.113.0, 198.51.100.0"}`
	if got != want {
		t.Errorf("Attributes\n got %s\nwant %s", got, want)
	}
	if got := p.Attributes(nil); got != "" {
		t.Errorf("Attributes(nil) = %q, want empty", got)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"abc", 0, "abc"},
		{"abc", 2, "ab"},
		{"a€", 3, "a"}, // € is 3 bytes
		{"a€", 4, "a€"},
		{"€", 1, ""},
	}
	for _, tt := range tests {
		if got := Truncate(tt.in, tt.limit); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}

func BenchmarkUserKey(b *testing.B) {
	p := mustNew(b, IPHash)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p.UserKey("user-1234567")
		}
	})
}

func BenchmarkIP(b *testing.B) {
	for _, mode := range []IPMode{IPTruncate, IPHash} {
		b.Run(string(mode), func(b *testing.B) {
			p := mustNew(b, mode)
			b.ReportAllocs()
			for b.Loop() {
				p.IP("198.51.100.23")
			}
		})
	}
}

// Text that is not JSON and longer than twice the limit is scrubbed only as
// far as the cut needs (textPrefix): the bytes kept are those of the whole
// text scrubbed; an IP literal across the prefix's end is never kept in
// part, even when replacements shrink the prefix below the limit; and a
// user_id mention past the prefix, which is never stored, does not
// withhold the payload.
func TestPayloadLongText(t *testing.T) {
	p := mustNew(t, IPHash)
	const limit = 1024
	segment := `{"user_id":"u-1","ip":"198.51.100.23","ua":"Chrome/141.0.0.0","t":"2026-11-01T00:00:02.431Z","v6":"2001:db8::1"},`
	long := "[" + strings.Repeat(segment, 100) // unterminated: not JSON
	whole, ok := p.scrubText(long)
	if !ok {
		t.Fatal("the whole text was withheld")
	}
	if got, want := p.Payload([]byte(long), limit), Truncate(whole, limit); got != want {
		t.Errorf("long text:\n got %q\nwant %q", got, want)
	}

	shrinking := strings.Repeat("2001:0db8:0000:0000:0000:0000:0000:0001 ", 50) // 39 -> 18 bytes each
	shrinking += strings.Repeat(" ", 2*limit-6-len(shrinking)) + `203.0.113.77 and more text`
	got := p.Payload([]byte(shrinking), limit)
	if strings.Contains(got, "2001:") || len(got) >= limit {
		t.Fatalf("got %q (%d bytes), want the IPv6 literals replaced and the shrunk prefix whole", got, len(got))
	}
	if strings.Contains(got, "203.0") {
		t.Errorf("part of the IP literal across the prefix's end kept: %q", got)
	}

	mentioned := `[{"user_id":"u-1"},` + strings.Repeat("filler ", limit) + `{'user_id': 'alice'}`
	if got := p.Payload([]byte(mentioned), limit); !strings.HasPrefix(got, `[{"user_id":"`+UserKeyPrefix) {
		t.Errorf("a mention past the prefix withheld or changed the payload: %q", got)
	}
}

// FuzzPlainKeptAsIs: whatever plain accepts, the general rewrite leaves
// unchanged, so keeping a plain payload as it is changes no result.
func FuzzPlainKeptAsIs(f *testing.F) {
	for _, seed := range []string{
		`{"screen":"1920x1080","n":1.50,"a":[1,true,null,{"b":"c"}],"e":{}}`,
		`{"Ip":5}`, `{"ip":null}`, `{"x":"IP"}`, `{"prev_User_Id":"u"}`, `{"x":"user_idx"}`,
		`{"t":"10:15"}`, `{"v":"1.2.3.4"}`, `{"app_version":"4.21.0"}`, `{"v":"::1"}`, `{"a": 1}`, `{"a":"b\u0063"}`, `{"a":"é"}`,
		`"x"`, `12e3`, `[]`, `{"a":"<b>&"}`, "{\"a\":\"\x7f\"}",
	} {
		f.Add([]byte(seed))
	}
	p := mustNew(f, IPHash)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) || !plain(raw) {
			return
		}
		if got, ok := p.rewriteTokens(raw); !ok || got != string(raw) {
			t.Errorf("plain %q rewritten to %q (ok %v)", raw, got, ok)
		}
	})
}

// BenchmarkPayload measures two dead-letter payloads: an event of the
// generator's shape (times, URL, user agent, IP) rejected for a missing
// field, and an access-log line (not JSON) sent to the pipeline by mistake.
func BenchmarkPayload(b *testing.B) {
	for _, c := range []struct{ name, raw string }{
		{"event", `{"event_id":"f6e30b9d-3c8d-4b49-bb2b-7a7cf50e3d8b","event_type":"page_view","user_id":"u-123",` +
			`"session_id":"s-55ad87c5","platform":"web","created_at":"2026-11-01T00:00:02.431Z","sent_at":"2026-11-01T00:00:02.455Z",` +
			`"received_at":"2026-11-01T00:00:03.548Z","page_url":"https://shop.example.com/p/sku-95853?utm_source=facebook&utm_medium=paid_social",` +
			`"user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36",` +
			`"ip":"91.114.62.8","screen":"1920x1080"}`},
		{"access_log", `203.0.113.9 - - [04/Dec/2026:10:15:30 +0000] "GET /p/sku-95853?utm_source=facebook&utm_medium=paid_social HTTP/1.1" ` +
			`200 5123 "https://www.google.com/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36"`},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := mustNew(b, IPTruncate)
			raw := []byte(c.raw)
			b.ReportAllocs()
			for b.Loop() {
				p.Payload(raw, 16384)
			}
		})
	}
}

// FuzzScrubIPsByRuns: scrubbing run by run changes what the patterns,
// run on the whole text, replace there, and nothing else.
func FuzzScrubIPsByRuns(f *testing.F) {
	for _, seed := range []string{
		`203.0.113.9 - alice [04/Dec/2026:10:15:30 +0000] "GET / HTTP/1.1"`, `1.2.3.4x5.6.7.8`, `a1.2.3.4`,
		`_1.2.3.4`, `1.2.3.4_`, `1.2.3.4.5`, `1.2.3.4 5.6.7.8`, `::ffff:1.2.3.4`, `x ::1 fe80::1%eth0`,
		`10:15:30`, `2001:db8::1:1.2.3.4`, "é1.2.3.4é", "\xff1.2.3.4\xff", `"ip":"2001:db8::7"`,
	} {
		f.Add(seed)
	}
	p := mustNew(f, IPTruncate)
	f.Fuzz(func(t *testing.T, s string) {
		want := ipv6Candidate.ReplaceAllStringFunc(s, func(m string) string {
			if _, ok := canonicalIP(m); ok {
				return p.IP(m)
			}
			return m
		})
		want = ipv4Pattern.ReplaceAllStringFunc(want, p.IP)
		if got := p.scrubIPs(s); got != want {
			t.Errorf("scrubIPs(%q) = %q, the whole text's matches give %q", s, got, want)
		}
	})
}

// FuzzJSONString: jsonWriter.str writes what encoding/json's Encoder
// writes without HTML escapes, with or without its shortcut.
func FuzzJSONString(f *testing.F) {
	for _, seed := range []string{"", "plain", `a"b`, `a\b`, "<>&", "\x00\x1f\x7f", "é", "\u2028", "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		w := &jsonWriter{}
		w.str(s)
		if got := w.b.String(); got != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("str(%q) = %s, want %s", s, got, want.String())
		}
	})
}
