package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a signed timestamp may be from the
// receiver's clock, the Standard Webhooks libraries' default.
const DefaultTolerance = 5 * time.Minute

// Errors of the verify functions.
var (
	ErrNoSignature       = errors.New("signature missing")
	ErrSignatureMismatch = errors.New("no signature matches")
	ErrTimestamp         = errors.New("timestamp missing or not Unix seconds")
	ErrTimestampTooOld   = errors.New("timestamp too old")
	ErrTimestampTooNew   = errors.New("timestamp too far in the future")
)

// VerifySortedJSON reports whether signature (the X-Signature value) is the
// sorted_json scheme's signature of body under one of the secrets. body is the
// JSON as received, decompressed; signature may hold several
// comma-separated signatures, as sent during a key rotation. Comparisons
// take constant time.
func VerifySortedJSON(body []byte, signature string, secrets ...string) bool {
	canonical, err := pythonJSON(body)
	if err != nil {
		return false
	}
	return anyMatch(signature, "", canonical, secrets)
}

// VerifyRaw reports whether signature is the raw scheme's signature of
// body (the bytes as received) under one of the secrets. prefix is the
// configured prefix, e.g. "sha256=".
func VerifyRaw(body []byte, signature, prefix string, secrets ...string) bool {
	return anyMatch(signature, prefix, body, secrets)
}

// VerifyRawTimestamped checks the raw scheme with a timestamp header:
// the signature covers "<timestamp>.<body>" and the timestamp must be
// within tolerance of now (DefaultTolerance when tolerance is 0).
func VerifyRawTimestamped(body []byte, signature, prefix, timestamp string, tolerance time.Duration, secrets ...string) error {
	if err := checkTimestamp(timestamp, tolerance, time.Now()); err != nil {
		return err
	}
	if signature == "" {
		return ErrNoSignature
	}
	if !anyMatch(signature, prefix, timestamped(timestamp, body), secrets) {
		return ErrSignatureMismatch
	}
	return nil
}

// VerifyStandardWebhooks checks the webhook-id, webhook-timestamp and
// webhook-signature headers of a request against its body (as received)
// and a whsec_ secret, with the timestamp within tolerance of now
// (DefaultTolerance when tolerance is 0).
func VerifyStandardWebhooks(headers http.Header, body []byte, secret string, tolerance time.Duration) error {
	key, err := decodeWebhookSecret(secret)
	if err != nil {
		return err
	}
	id, ts := headers.Get(HeaderWebhookID), headers.Get(HeaderWebhookTimestamp)
	sigs := headers.Get(HeaderWebhookSignature)
	if id == "" || sigs == "" {
		return fmt.Errorf("%w: %s and %s are required", ErrNoSignature, HeaderWebhookID, HeaderWebhookSignature)
	}
	if err := checkTimestamp(ts, tolerance, time.Now()); err != nil {
		return err
	}
	want := []byte(base64.StdEncoding.EncodeToString(mac(key, standardWebhooksContent(id, ts, body))))
	for entry := range strings.FieldsSeq(sigs) {
		version, sig, ok := strings.Cut(entry, ",")
		if ok && version == "v1" && hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return ErrSignatureMismatch
}

// VerifyAPIKey reports whether header of h holds key, as the api_key
// method sends it. The comparison takes the same time whatever the
// values and their lengths.
func VerifyAPIKey(h http.Header, header, key string) bool {
	return sameSecret(h.Get(header), key)
}

// VerifyBearer reports whether h's Authorization is "Bearer <token>", as
// the bearer_token method sends it.
func VerifyBearer(h http.Header, token string) bool {
	got, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	return sameSecret(got, token) && ok
}

// VerifyBasic reports whether h's Authorization holds Basic credentials
// for username and password, as the basic method sends them. Both are
// compared, whichever differs.
func VerifyBasic(h http.Header, username, password string) bool {
	req := http.Request{Header: h}
	user, pass, ok := req.BasicAuth()
	userOK := sameSecret(user, username)
	return sameSecret(pass, password) && userOK && ok
}

// sameSecret compares digests, so that neither a value nor its length
// shows in the time taken.
func sameSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return hmac.Equal(g[:], w[:])
}

// anyMatch compares every comma-separated signature with the expected
// one under every secret, without stopping early on a mismatch.
func anyMatch(header, prefix string, msg []byte, secrets []string) bool {
	ok := false
	for sig := range strings.SplitSeq(header, ",") {
		sig = strings.TrimSpace(sig)
		for _, s := range secrets {
			want := prefix + hexMAC([]byte(s), msg)
			if hmac.Equal([]byte(sig), []byte(want)) {
				ok = true
			}
		}
	}
	return ok
}

func checkTimestamp(ts string, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	at := time.Unix(sec, 0)
	switch {
	case now.Sub(at) > tolerance:
		return ErrTimestampTooOld
	case at.Sub(now) > tolerance:
		return ErrTimestampTooNew
	}
	return nil
}
