package formats

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
)

// The Append helpers append JSON to a byte slice as the built-in formats
// write it: valid JSON whatever the input holds, invalid UTF-8 as U+FFFD,
// and of object keys written the same, the first kept. They cost no
// reflection and no allocation beyond growing dst. They are the public
// doors to formats/internal/jsonw, which the built-in formats call by its
// own name: a door inlined into a small caller would push it over the
// inlining budget.

// AppendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, so
// hostile bytes can neither break the document nor end the string early.
func AppendString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }

// AppendValue appends a pdata value as JSON. Bytes become base64 strings, as
// in OTLP/JSON.
func AppendValue(dst []byte, v pcommon.Value) []byte { return jsonw.AppendValue(dst, v) }

// AppendMap appends a pdata map as a JSON object.
func AppendMap(dst []byte, m pcommon.Map) []byte { return jsonw.AppendMap(dst, m) }

// AppendFields appends an event's data as a JSON object.
func AppendFields(dst []byte, fields []Field) []byte {
	dst = append(dst, '{')
	dst = jsonw.AppendMembersWhere(dst, fields, false, nil)
	return append(dst, '}')
}

// AppendFieldMembers appends fields as object members without braces, for
// formats that merge the data into an object of their own. comma says that
// members precede them.
func AppendFieldMembers(dst []byte, fields []Field, comma bool) []byte {
	return jsonw.AppendMembersWhere(dst, fields, comma, nil)
}

// AppendFloat appends f as a JSON number in the form encoding/json uses.
// NaN and the infinities have no JSON form; they become null so that the
// payload stays valid and the rest of the event is still delivered.
func AppendFloat(dst []byte, f float64) []byte { return jsonw.AppendFloat(dst, f) }

// AppendTime appends t as an RFC 3339 UTC JSON string ending in Z, with
// the fraction of time.RFC3339Nano (trailing zeros dropped).
func AppendTime(dst []byte, t time.Time) []byte { return jsonw.AppendTime(dst, t) }
