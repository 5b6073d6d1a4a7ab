package kafkastorageextension

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
)

func TestSASL(t *testing.T) {
	for _, mechanism := range supportedMechanisms {
		t.Run(mechanism, func(t *testing.T) {
			_, brokers := newCluster(t, kfake.EnableSASL(), kfake.Superuser(mechanism, "collector", "secret"))
			tests := []struct {
				name     string
				password string
				wantErr  string
			}{
				{name: "right password", password: "secret"},
				{name: "wrong password", password: "wrong", wantErr: `kafka_storage: could not load topic "state" from brokers [` + brokers[0] + `] within 2s: `},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					cfg := testConfig(brokers, "state")
					cfg.StartTimeout = 2 * time.Second
					cfg.Authentication.SASL = &configkafka.SASLConfig{Mechanism: mechanism, Username: "collector", Password: tt.password}
					require.NoError(t, confmap.Validate(cfg))
					ext := create(t, cfg, nil)
					err := ext.Start(context.Background(), componenttest.NewNopHost())
					if tt.wantErr == "" {
						require.NoError(t, err)
						c := getClient(t, ext, retrainID)
						require.NoError(t, c.Set(context.Background(), "k", []byte("v")))
						assert.Equal(t, []byte("v"), mustGet(t, c, "k"))
						return
					}
					require.Error(t, err)
					// kfake closes the connection on a bad password (Kafka answers
					// SASL_AUTHENTICATION_FAILED, which is not retried): Start gives up at start_timeout.
					assert.Contains(t, err.Error(), tt.wantErr)
				})
			}
		})
	}
}

func TestTLS(t *testing.T) {
	caFile, serverCert := selfSigned(t)
	_, brokers := newCluster(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{serverCert}, MinVersion: tls.VersionTLS12}))
	// The tls key is set through confmap, as a collector config sets it.
	tests := []struct {
		name    string
		tls     map[string]any
		wantErr bool
	}{
		{name: "trusted", tls: map[string]any{"ca_file": caFile}},
		{name: "no TLS to a TLS broker", tls: nil, wantErr: true},
		{name: "untrusted", tls: map[string]any{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(brokers, "state")
			cfg.StartTimeout = time.Second
			if tt.tls != nil {
				require.NoError(t, confmap.NewFromStringMap(map[string]any{"tls": tt.tls}).Unmarshal(cfg))
				require.NotNil(t, cfg.TLS)
			}
			ext := create(t, cfg, nil)
			err := ext.Start(context.Background(), componenttest.NewNopHost())
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			c := getClient(t, ext, retrainID)
			require.NoError(t, c.Set(context.Background(), "k", []byte("v")))
		})
	}
}

// selfSigned makes a self-signed certificate for 127.0.0.1 and writes it as a CA file.
func selfSigned(t *testing.T) (string, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kfake"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return caFile, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
