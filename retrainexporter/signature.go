package retrainexporter // import "github.com/visutility/otelcol-retrain/retrainexporter"

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
)

// Standard Webhooks headers (https://www.standardwebhooks.com).
const (
	headerWebhookID        = "webhook-id"
	headerWebhookTimestamp = "webhook-timestamp"
	headerWebhookSignature = "webhook-signature"
	headerIdempotencyKey   = "Idempotency-Key"
)

// signer signs a request with every configured key, so a trainer rotating its secret accepts the
// request under either the old or the new one.
type signer struct {
	keys [][]byte
}

// sign returns the webhook-signature header value: "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>"
// per key, separated by spaces; "" without keys.
func (s signer) sign(id string, timestamp int64, body []byte) string {
	if len(s.keys) == 0 {
		return ""
	}
	ts := strconv.FormatInt(timestamp, 10)
	out := make([]byte, 0, len(s.keys)*48)
	for i, k := range s.keys {
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write(body)
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, "v1,"...)
		out = base64.StdEncoding.AppendEncode(out, mac.Sum(nil))
	}
	return string(out)
}
