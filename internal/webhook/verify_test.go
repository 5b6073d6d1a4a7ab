package webhook

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The example of the Standard Webhooks reference libraries.
const (
	exampleSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	exampleID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	exampleTimestamp = "1614265330"
	exampleBody      = `{"test": 2432232314}`
	exampleSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var exampleTime = time.Unix(1614265330, 0)

func exampleHeader(signature string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, exampleID)
	h.Set(HeaderTimestamp, exampleTimestamp)
	h.Set(HeaderSignature, signature)
	return h
}

func TestVerifyAcceptsTheReferenceExample(t *testing.T) {
	v, err := NewVerifier(exampleSecret, 0)
	require.NoError(t, err)
	assert.NoError(t, v.Verify(exampleHeader(exampleSignature), []byte(exampleBody), exampleTime))
}

func TestVerifyAcceptsAnyOfSeveralSignatures(t *testing.T) {
	v, err := NewVerifier(exampleSecret, 0)
	require.NoError(t, err)
	rotated := "v1,c29tZXRoaW5nIGVsc2U= v2,whatever " + exampleSignature
	assert.NoError(t, v.Verify(exampleHeader(rotated), []byte(exampleBody), exampleTime))
}

func TestVerifyRejects(t *testing.T) {
	v, err := NewVerifier(exampleSecret, time.Minute)
	require.NoError(t, err)
	other, err := NewVerifier("whsec_b3RoZXIta2V5", 0)
	require.NoError(t, err)

	tests := []struct {
		name     string
		verifier *Verifier
		header   http.Header
		body     string
		now      time.Time
		want     error
	}{
		{"a tampered body", v, exampleHeader(exampleSignature), `{"test": 1}`, exampleTime, ErrNoMatch},
		{"another secret", other, exampleHeader(exampleSignature), exampleBody, exampleTime, ErrNoMatch},
		{"an old timestamp", v, exampleHeader(exampleSignature), exampleBody, exampleTime.Add(2 * time.Minute), ErrTimestamp},
		{"a future timestamp", v, exampleHeader(exampleSignature), exampleBody, exampleTime.Add(-2 * time.Minute), ErrTimestamp},
		{"no signature", v, exampleHeader(""), exampleBody, exampleTime, ErrMissingHeader},
		{"only unknown versions", v, exampleHeader("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), exampleBody, exampleTime, ErrNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.verifier.Verify(tt.header, []byte(tt.body), tt.now), tt.want)
		})
	}
}

func TestNewVerifierTakesRawSecretsWithoutPrefix(t *testing.T) {
	v, err := NewVerifier("raw-secret", 0)
	require.NoError(t, err)
	assert.Equal(t, []byte("raw-secret"), v.key)

	_, err = NewVerifier("whsec_not base64!", 0)
	assert.Error(t, err)
	_, err = NewVerifier("", 0)
	assert.Error(t, err)
}
