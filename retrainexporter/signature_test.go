package retrainexporter

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Standard Webhooks specification's reference vector.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func mustKeys(t *testing.T, secrets ...string) signer {
	t.Helper()
	var s signer
	for _, sec := range secrets {
		k, err := decodeSecret(sec)
		require.NoError(t, err)
		s.keys = append(s.keys, k)
	}
	return s
}

func TestSignatureMatchesTheStandardWebhooksVector(t *testing.T) {
	assert.Equal(t, vectorSignature, mustKeys(t, vectorSecret).sign(vectorID, vectorTimestamp, []byte(vectorBody)))
}

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(headerWebhookID, id)
	h.Set(headerWebhookTimestamp, strconv.FormatInt(ts, 10))
	h.Set(headerWebhookSignature, sig)
	return h
}

func TestVerifierRejectsWhatWasNotSigned(t *testing.T) {
	signedAt := time.Unix(vectorTimestamp, 0)
	h := headers(vectorID, vectorTimestamp, vectorSignature)
	require.NoError(t, verify(vectorSecret, h, []byte(vectorBody), signedAt, 5*time.Minute))

	assert.Error(t, verify(vectorSecret, h, []byte(`{"test": 2432232315}`), signedAt, 5*time.Minute), "tampered body")
	assert.Error(t, verify(vectorSecret, h, []byte(vectorBody), signedAt.Add(10*time.Minute), 5*time.Minute), "old timestamp")
	assert.Error(t, verify("whsec_c2VjcmV0LW9mLWFub3RoZXItdHJhaW5lcg==", h, []byte(vectorBody), signedAt, 5*time.Minute), "wrong secret")
	other := headers("msg_other", vectorTimestamp, vectorSignature)
	assert.Error(t, verify(vectorSecret, other, []byte(vectorBody), signedAt, 5*time.Minute), "another message id")
}

func TestRotationSignsWithEverySecret(t *testing.T) {
	oldSecret, newSecret := vectorSecret, "whsec_c2VjcmV0LW9mLWFub3RoZXItdHJhaW5lcg=="
	sig := mustKeys(t, oldSecret, newSecret).sign(vectorID, vectorTimestamp, []byte(vectorBody))
	parts := strings.Split(sig, " ")
	require.Len(t, parts, 2)
	assert.Equal(t, vectorSignature, parts[0])
	h := headers(vectorID, vectorTimestamp, sig)
	at := time.Unix(vectorTimestamp, 0)
	assert.NoError(t, verify(oldSecret, h, []byte(vectorBody), at, time.Minute), "a trainer still on the old secret")
	assert.NoError(t, verify(newSecret, h, []byte(vectorBody), at, time.Minute), "a trainer already on the new one")
}

func TestSecretsWithoutPrefixAreRawKeys(t *testing.T) {
	raw := mustKeys(t, "plain-text-secret")
	assert.Equal(t, []byte("plain-text-secret"), raw.keys[0])
	assert.Empty(t, signer{}.sign("id", 1, nil), "no keys, no signature")
}
