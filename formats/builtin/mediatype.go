package builtin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
)

// jsonError says why b is not JSON, for a log line. It runs only on the
// failure path.
func jsonError(b []byte) string {
	if len(bytes.TrimSpace(b)) == 0 {
		return "the output is empty"
	}
	var v any
	err := json.Unmarshal(b, &v)
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	if err != nil {
		return err.Error()
	}
	return "not valid JSON"
}

// checkMediaType checks a Content-Type setting: type/subtype and parameters.
func checkMediaType(ct string) error {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("is not a media type (%v)", err)
	}
	if !strings.Contains(mt, "/") {
		return errors.New("is not a media type (type/subtype)")
	}
	return nil
}

// isJSONMediaType says whether a Content-Type announces JSON:
// application/json or a +json type.
func isJSONMediaType(mt string) bool {
	mt = strings.ToLower(strings.TrimSpace(mt))
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
