package delivery

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// fixCertificate is what to do about a receiver's certificate that the
// client does not trust.
const fixCertificate = "set tls::ca_file to the CA that signed it (tls::insecure_skip_verify: true turns the check off and is for testing only)"

// untrustedCertificate says why a request failed when the receiver's
// certificate did not verify, for deliveries and the connection check
// alike; ok is false for other failures.
func untrustedCertificate(err error) (reason string, ok bool) {
	certErr, ok := errors.AsType[*tls.CertificateVerificationError](err)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("the receiver's certificate is not trusted (%v)", certErr.Err), true
}
