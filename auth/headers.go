package auth

import (
	"encoding/base64"
	"net/http"
)

// headerTransport sets one credential header on every request.
type headerTransport struct {
	base   http.RoundTripper
	header string
	value  func() (string, error)
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	v, err := t.value()
	if err != nil {
		closeBody(req)
		return nil, err
	}
	// A RoundTripper must not modify the caller's request.
	out := req.Clone(req.Context())
	out.Header.Set(t.header, v)
	return t.base.RoundTrip(out)
}

func apiKeyValue(s *secret) func() (string, error) {
	return s.get
}

func bearerValue(s *secret) func() (string, error) {
	return func() (string, error) {
		v, err := s.get()
		if err != nil {
			return "", err
		}
		return "Bearer " + v, nil
	}
}

func basicValue(username string, password *secret) func() (string, error) {
	return func() (string, error) {
		p, err := password.get()
		if err != nil {
			return "", err
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+p)), nil
	}
}

// closeBody honours the RoundTripper rule that the body is closed even
// when the request is never sent.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
