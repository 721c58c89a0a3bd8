// Package bench holds the benchmarks of the webhook exporter against its
// baselines (the collector's otlphttpexporter, encoding/json and the raw
// wire), the shared event shapes they all use, and the tools behind
// `make bench` and `make load`.
package bench

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// BaseTime is the timestamp of the first generated event (the guide's example time).
var BaseTime = time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC)

// Logs returns n log records shaped like the guide's security events: one
// resource (service.name, host.name) and one scope, each record with an
// event name, a severity and a map body of 6-12 fields (ids, file names,
// e-mail addresses, lists such as pii_types, numbers, a timestamp). The
// records are deterministic in n, so every benchmark sends the same bytes.
func Logs(n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "sentyr-scanner")
	rl.Resource().Attributes().PutStr("host.name", "scanner-01.eu-west-1.internal")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("sentyr/dlp")
	lrs := sl.LogRecords()
	lrs.EnsureCapacity(n)
	for i := range n {
		fill(lrs.AppendEmpty(), i)
	}
	return ld
}

// The shapes cycle through the guide's event types.
var shapes = []func(lr plog.LogRecord, body pcommon.Map, i int){
	fileShared, piiDetected, loginAnomaly, fileShared, piiDetected,
}

func fill(lr plog.LogRecord, i int) {
	ts := BaseTime.Add(time.Duration(i) * 1375 * time.Microsecond)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(ts.Add(40 * time.Millisecond)))
	shapes[i%len(shapes)](lr, lr.Body().SetEmptyMap(), i)
}

// fileShared is the guide's example event with the fields a DLP scanner
// adds: 9 data fields.
func fileShared(lr plog.LogRecord, body pcommon.Map, i int) {
	lr.SetEventName("file_shared_externally")
	lr.Attributes().PutStr("severity", "warning")
	body.PutStr("file_id", fmt.Sprintf("f-%08x", i*2654435761&0xffffffff))
	body.PutStr("file_name", fmt.Sprintf("Q%d-board-deck-%d.pdf", i%4+1, i%97))
	body.PutStr("owner", fmt.Sprintf("user%d@example.com", i%500))
	body.PutStr("shared_with", fmt.Sprintf("external%d@partner.com", i%50))
	body.PutInt("file_size", int64(10_000+i*37%5_000_000))
	body.PutStr("mime_type", "application/pdf")
	body.PutStr("folder_path", "/Finance/Board/2025/Q4")
	body.PutStr("shared_at", BaseTime.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
	perms := body.PutEmptySlice("permissions")
	perms.AppendEmpty().SetStr("view")
	perms.AppendEmpty().SetStr("download")
}

// piiDetected is the guide's batch event with scanner details: 10 data fields.
func piiDetected(lr plog.LogRecord, body pcommon.Map, i int) {
	lr.SetEventName("pii_detected")
	lr.SetSeverityNumber(plog.SeverityNumberFatal)
	lr.SetSeverityText("FATAL")
	body.PutStr("file_id", fmt.Sprintf("g-%08x", i*40503&0xffffffff))
	body.PutStr("file_name", fmt.Sprintf("customers-export-%d.csv", i%311))
	types := body.PutEmptySlice("pii_types")
	types.AppendEmpty().SetStr("ssn")
	types.AppendEmpty().SetStr("email")
	if i%3 == 0 {
		types.AppendEmpty().SetStr("credit_card")
	}
	body.PutInt("match_count", int64(1+i%250))
	body.PutDouble("confidence", 0.5+float64(i%50)/100)
	body.PutStr("owner", fmt.Sprintf("analyst%d@example.com", i%120))
	body.PutStr("policy_id", "pol-gdpr-001")
	body.PutStr("location", "s3://corp-exports/2025/10/")
	body.PutStr("scanned_at", BaseTime.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano))
	body.PutBool("quarantined", i%2 == 0)
}

// loginAnomaly is an identity event with a user agent and a nested
// location: 7 data fields from the body, plus a trace-style attribute.
func loginAnomaly(lr plog.LogRecord, body pcommon.Map, i int) {
	lr.Attributes().PutStr("event.name", "suspicious_login")
	lr.Attributes().PutStr("severity", "error")
	lr.Attributes().PutStr("session_id", fmt.Sprintf("s-%012d", i))
	body.PutStr("user", fmt.Sprintf("user%d@example.com", i%500))
	body.PutStr("ip", fmt.Sprintf("203.0.113.%d", i%254+1))
	body.PutStr("user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36")
	body.PutInt("failed_attempts", int64(i%9))
	body.PutDouble("risk_score", float64(i%100)/10)
	geo := body.PutEmptyMap("geo")
	geo.PutStr("country", "NL")
	geo.PutStr("city", "Amsterdam")
	body.PutStr("detected_at", BaseTime.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
}
