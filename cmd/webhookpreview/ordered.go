package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// setJSON sets v from JSON keeping the members in the order written, so the
// preview (and the Idempotency-Key, computed over the event) is the same on
// every run; a Go map would shuffle them.
func setJSON(v pcommon.Value, raw []byte) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return decodeInto(d, v)
}

func decodeInto(d *json.Decoder, v pcommon.Value) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := v.SetEmptyMap()
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return err
				}
				if err := decodeInto(d, m.PutEmpty(k.(string))); err != nil {
					return err
				}
			}
		case '[':
			s := v.SetEmptySlice()
			for d.More() {
				if err := decodeInto(d, s.AppendEmpty()); err != nil {
					return err
				}
			}
		}
		_, err := d.Token() // the closing delimiter
		return err
	case string:
		v.SetStr(t)
	case bool:
		v.SetBool(t)
	case json.Number:
		if i, err := t.Int64(); err == nil {
			v.SetInt(i)
		} else if f, err := t.Float64(); err == nil {
			v.SetDouble(f)
		} else {
			return fmt.Errorf("number %s: %w", t, err)
		}
	case nil:
	}
	return nil
}
