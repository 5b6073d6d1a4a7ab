package webhook // import "github.com/visutility/otelcol-retrain/internal/webhook"

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

// Standard Webhooks request headers (https://www.standardwebhooks.com).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a request's timestamp may be from the receiver's clock.
const DefaultTolerance = 5 * time.Minute

// Reasons a request fails verification; callers may branch on them with errors.Is.
var (
	ErrMissingHeader = errors.New("missing webhook header")
	ErrTimestamp     = errors.New("webhook-timestamp outside the tolerance")
	ErrNoMatch       = errors.New("no v1 signature matches")
)

// Verifier checks requests signed with one secret.
type Verifier struct {
	key       []byte
	tolerance time.Duration
}

// NewVerifier accepts a secret as the exporter's signing_secret does: "whsec_<base64 key>", or the
// raw key bytes without that prefix. tolerance <= 0 means DefaultTolerance.
func NewVerifier(secret string, tolerance time.Duration) (*Verifier, error) {
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		var err error
		if key, err = base64.StdEncoding.DecodeString(rest); err != nil {
			return nil, errors.New("a whsec_ secret must be base64 after the prefix")
		}
	}
	if len(key) == 0 {
		return nil, errors.New("the signing secret is empty")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	return &Verifier{key: key, tolerance: tolerance}, nil
}

// Verify checks that one of the request's v1 signatures is the HMAC-SHA256 of
// "<webhook-id>.<webhook-timestamp>.<body>" and that the timestamp is within tolerance of now.
func (v *Verifier) Verify(h http.Header, body []byte, now time.Time) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	for _, hv := range [...]struct{ name, value string }{{HeaderID, id}, {HeaderTimestamp, tsText}, {HeaderSignature, sigs}} {
		if hv.value == "" {
			return fmt.Errorf("%w: %s", ErrMissingHeader, hv.name)
		}
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not a Unix time", ErrTimestamp, tsText)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > v.tolerance || d < -v.tolerance {
		return fmt.Errorf("%w: %s off the receiver's clock", ErrTimestamp, d.Round(time.Second))
	}
	mac := hmac.New(sha256.New, v.key)
	mac.Write([]byte(id + "." + tsText + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		if got, err := base64.StdEncoding.DecodeString(sig); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatch
}
