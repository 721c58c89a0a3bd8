package builtin

import (
	"testing"

	"github.com/sentyr/webhookexporter/formats"
)

// BenchmarkAppendFields is the data object of a typical event: ten plain
// keys, one of them a small map.
func BenchmarkAppendFields(b *testing.B) {
	ev := serviceEvent(b, "file_id", "abc123", "file_name", "sensitive.pdf", "owner", "user@example.com",
		"shared_with", "external@partner.com", "file_size", 12345, "mime_type", "application/pdf",
		"policy", "dlp-external-share", "user.department", "finance", "risk_score", 87.5,
		"location", map[string]any{"country": "DE", "city": "Berlin", "ip": "203.0.113.7"})
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for range b.N {
		buf = formats.AppendFields(buf[:0], ev.Data)
	}
}
