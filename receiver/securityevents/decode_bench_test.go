package securityevents

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// benchBody is n guide-shaped events as NDJSON.
func benchBody(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"timestamp": "2025-10-29T12:00:00Z", "source": "sentyr", "event_type": "file_shared_externally", "severity": "warning", "data": {"file_id": "abc%d", "file_name": "sensitive.pdf", "owner": "user@example.com", "shared_with": "external@partner.com", "pii_types": ["ssn", "email"]}}`+"\n", i)
	}
	return b.Bytes()
}

// BenchmarkDecodeEvents decodes a request of 1,000 events into log
// records; BenchmarkDecodeBaselineMaps decodes the same bytes with
// encoding/json into Go maps, which builds no records at all: the ratio
// of the two is what the checks and the pdata cost.
func BenchmarkDecodeEvents(b *testing.B) {
	body := benchBody(1000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeEvents(body, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBaselineMaps(b *testing.B) {
	body := benchBody(1000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		dec := json.NewDecoder(bytes.NewReader(body))
		for dec.More() {
			var ev map[string]any
			if err := dec.Decode(&ev); err != nil {
				b.Fatal(err)
			}
		}
	}
}
