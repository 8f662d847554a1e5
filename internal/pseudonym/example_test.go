package pseudonym_test

import (
	"fmt"
	"log"

	"github.com/example/clickstream/internal/pseudonym"
)

func Example() {
	// On a worker the key comes from a reference, e.g.
	// pseudonym.LoadKey("env:CLICKSTREAM_HASH_KEY").
	key := []byte("test-key-0123456789abcdef0123456")
	p, err := pseudonym.New(key, pseudonym.IPTruncate)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.UserKey("user-42"))
	fmt.Println(p.IP("198.51.100.23"))
	fmt.Println(p.Payload([]byte(`{"user_id":"user-42","ip":"2001:db8:1:2::7"}`), 1024))
	// Output:
	// 9f0b3ee327af6c2805862994f66a914a
	// 198.51.100.0
	// {"user_id":"user_key:9f0b3ee327af6c2805862994f66a914a","ip":"2001:db8:1::"}
}
