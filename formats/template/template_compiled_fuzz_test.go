package template

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/formatstest"
	"github.com/sentyr/webhookexporter/internal/fuzzdata"
)

// fuzzRefs are what FuzzCustomFastPath's outputs read: every context name
// and members under the keys fuzzdata produces often.
var fuzzRefs = []string{
	"event_id", "event_type", "severity", "timestamp", "source", "event_data", "resource",
	"event_data.message", "event_data['service.name']", "event_data.id", "event_data.severity",
	"resource['host.name']", "resource.message", "event_data.missing",
}

// fuzzOutput picks an output from b: which ref, whether through tojson,
// whether with whitespace control.
func fuzzOutput(b uint8) string {
	ref := fuzzRefs[int(b&0x3f)%len(fuzzRefs)]
	if b&0x40 != 0 {
		ref += " | tojson"
	}
	if b&0x80 != 0 {
		return "{{- " + ref + " -}}"
	}
	return "{{ " + ref + " }}"
}

// FuzzCustomFastPath renders fuzzed events through templates of fuzzed text
// around two outputs: whenever the template compiles, the compiled path
// must write what gonja writes, and valid JSON whenever it claims to.
func FuzzCustomFastPath(f *testing.F) {
	f.Add(`{"type": "`, `", "data": `, `}`, uint8(1), uint8(5|0x40), uint8(0), []byte("\x02\x00\x05a\"\\\n\x04message\x00\x03\xff\u2028"))
	f.Add(`[`, `, "`, `"]`, uint8(6|0x40), uint8(7|0x80), uint8(0), []byte("\x01\x01\x05\x02host.name\x00\x04</x>"))
	f.Add(`{"t": "\u00`, `", "x": "\\`, `"}`, uint8(3), uint8(8), uint8(0), []byte("\x03"))
	f.Add(`text `, ` and `, "\n", uint8(9), uint8(12|0x40), uint8(1), []byte("\x01\x02\x00\x04\x00\x02"))
	// event_data.message of every value type, as text and as tojson.
	for _, message := range fuzzMessages() {
		f.Add(`{"a": "`, `", "b": `, `}`, uint8(7), uint8(7|0x40), uint8(0), fuzzEventBytes(message))
		f.Add(`{"d": "`, `", "r": "`, `"}`, uint8(5), uint8(6), uint8(0), fuzzEventBytes(message))
		f.Add(``, ` `, ``, uint8(7), uint8(5|0x40), uint8(1), fuzzEventBytes(message))
	}
	f.Fuzz(func(t *testing.T, lit0, lit1, lit2 string, out0, out1, mode uint8, data []byte) {
		src := lit0 + fuzzOutput(out0) + lit1 + fuzzOutput(out1) + lit2
		tpl, err := Parse("custom::template", src, mode&1 == 0, differentialLimits)
		if err != nil || tpl.fast == nil {
			return
		}
		s := fuzzdata.New(data)
		events := formatstest.FuzzEvents(s)
		for i := range events {
			ev := &events[i]
			if n := len(ev.Data); n > 1 && s.Byte()&1 == 1 {
				// A repeated key, which only the event's own data can hold.
				ev.Data = append(ev.Data, formats.Field{Key: ev.Data[0].Key, Value: ev.Data[n-1].Value})
			}
			want, wantErr := tpl.render(nil, templateContext(ev))
			got, proven, err := tpl.RenderEvent(nil, ev)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || string(got) != string(want) {
				t.Fatalf("template %q:\ncompiled: %q (%v)\ngonja:    %q (%v)", src, got, err, want, wantErr)
			}
			if proven && !json.Valid(got) {
				t.Fatalf("template %q was proven JSON but rendered %q", src, got)
			}
		}
	})
}

// fuzzEventBytes is fuzzdata's encoding of one event whose data holds
// message, encoded by the caller, and an id, with a <> host.name resource.
// The last byte says whether FuzzCustomFastPath repeats a key.
func fuzzEventBytes(message []byte) []byte {
	b := []byte{0, 1, 'i', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 1, 5, 0, 2, '<', '>', 2, 3}
	b = append(b, message...)
	return append(b, 6, 0, 2, '"', 'x', 0)
}

// fuzzMessages are values of each type in fuzzdata's encoding.
func fuzzMessages() [][]byte {
	float := func(f float64) []byte { return binary.LittleEndian.AppendUint64([]byte{2}, math.Float64bits(f)) }
	return [][]byte{
		{0, 4, 'a', '"', 0xff, '\\'},
		binary.LittleEndian.AppendUint64([]byte{1}, math.MaxUint64),
		float(1.5), float(100), float(1e21), float(1e-7), float(math.NaN()), float(math.Inf(1)),
		{3, 1}, {3, 0},
		{4, 2, 6, 0, 1, 'x', 3, 0, 1, '\''},
		{5, 3, 0, 1, 'a', 3, 1, 7},
		{6, 3, 0xfb, 0xff, 0},
		{7},
	}
}
