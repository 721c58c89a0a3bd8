package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
)

// Standard Webhooks header names.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"

	// headerIdempotencyKey is where the webhook exporter puts the stable
	// id of a request's events; it becomes the webhook-id, so a retried
	// delivery carries the same id and receivers can drop duplicates.
	headerIdempotencyKey = "Idempotency-Key"
	webhookSecretPrefix  = "whsec_"
)

// hmacTransport signs each request body under one of the schemes.
type hmacTransport struct {
	base   http.RoundTripper
	cfg    *HMACConfig
	header string
	keys   func() ([][]byte, error)
	now    func() time.Time
}

func (t *hmacTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	keys, err := t.keys()
	if err != nil {
		closeBody(req)
		return nil, err
	}
	out, body, err := bufferBody(req)
	if err != nil {
		return nil, err
	}
	switch t.cfg.scheme() {
	case SchemeRaw:
		t.signRaw(out, body, keys)
	case SchemeStandardWebhooks:
		t.signStandardWebhooks(out, body, keys)
	default:
		if err := t.signSortedJSON(out, body, keys); err != nil {
			// The same body fails the same way on every retry.
			return nil, consumererror.NewPermanent(err)
		}
	}
	return t.base.RoundTrip(out)
}

// signSortedJSON signs the payload as the guide's receiver re-serialises it,
// after undoing any compression confighttp applied.
func (t *hmacTransport) signSortedJSON(req *http.Request, body []byte, keys [][]byte) error {
	payload, err := decodeContent(req.Header.Get("Content-Encoding"), body)
	if err != nil {
		return fmt.Errorf("hmac sorted_json scheme: %w", err)
	}
	canonical, err := pythonJSON(payload)
	if err != nil {
		return fmt.Errorf("hmac sorted_json scheme: %w", err)
	}
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = hexMAC(k, canonical)
	}
	// During rotation the signatures share one header, comma-separated.
	req.Header.Set(t.header, strings.Join(sigs, ","))
	return nil
}

// signRaw signs the bytes as sent, compressed or not.
func (t *hmacTransport) signRaw(req *http.Request, body []byte, keys [][]byte) {
	msg := body
	if t.cfg.TimestampHeader != "" {
		ts := strconv.FormatInt(t.now().Unix(), 10)
		req.Header.Set(t.cfg.TimestampHeader, ts)
		msg = timestamped(ts, body)
	}
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = t.cfg.Prefix + hexMAC(k, msg)
	}
	req.Header.Set(t.header, strings.Join(sigs, ","))
}

func (t *hmacTransport) signStandardWebhooks(req *http.Request, body []byte, keys [][]byte) {
	id := req.Header.Get(headerIdempotencyKey)
	if id == "" {
		// Other exporters send no event id; the same body gives the same
		// id, which is what a receiver needs to drop a redelivery.
		sum := sha256.Sum256(body)
		id = "msg_" + hex.EncodeToString(sum[:16])
	}
	ts := strconv.FormatInt(t.now().Unix(), 10)
	msg := standardWebhooksContent(id, ts, body)
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac(k, msg))
	}
	req.Header.Set(HeaderWebhookID, id)
	req.Header.Set(HeaderWebhookTimestamp, ts)
	req.Header.Set(HeaderWebhookSignature, strings.Join(sigs, " "))
}

func mac(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

func hexMAC(key, msg []byte) string {
	return hex.EncodeToString(mac(key, msg))
}

func timestamped(ts string, body []byte) []byte {
	return append([]byte(ts+"."), body...)
}

func standardWebhooksContent(id, ts string, body []byte) []byte {
	return append([]byte(id+"."+ts+"."), body...)
}

var errWebhookSecret = errors.New("not a Standard Webhooks secret; write whsec_ followed by the base64 key the receiver issued")

// decodeWebhookSecret turns whsec_<base64> into the key. Its errors never
// quote the secret.
func decodeWebhookSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, webhookSecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errWebhookSecret
	}
	return key, nil
}

// hmacKeys returns the signing keys, read from the file each time it
// changes, or fixed when written in the config.
func hmacKeys(cfg *HMACConfig) func() ([][]byte, error) {
	decode := func(s string) ([]byte, error) {
		if cfg.scheme() == SchemeStandardWebhooks {
			return decodeWebhookSecret(s)
		}
		return []byte(s), nil
	}
	if cfg.SecretFile == "" {
		var keys [][]byte
		var err error
		for _, s := range cfg.inlineSecrets() {
			k, derr := decode(string(s))
			err = errors.Join(err, derr)
			keys = append(keys, k)
		}
		return func() ([][]byte, error) { return keys, err }
	}
	file := newSecret("", cfg.SecretFile)
	return func() ([][]byte, error) {
		v, err := file.get()
		if err != nil {
			return nil, err
		}
		var keys [][]byte
		for i, s := range lines(v) {
			k, err := decode(s)
			if err != nil {
				return nil, fmt.Errorf("secret file %s, line %d: %w", cfg.SecretFile, i+1, err)
			}
			keys = append(keys, k)
		}
		return keys, nil
	}
}
