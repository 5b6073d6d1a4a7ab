package state

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)

func TestRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		r    Record
	}{
		{name: "cooldown only", r: Record{Model: "fraud", CooldownUntil: t0.Add(30 * time.Minute), LastJobID: "abc", LastJobAt: t0}},
		{name: "pending streak with a version", r: Record{Model: "fraud", ModelVersion: "3", PendingSince: t0, HeldAt: t0.Add(time.Minute)}},
		{
			name: "outbox jobs",
			r: Record{Model: "m", Outbox: []Job{
				{ID: "j1", Logs: []byte{1, 2, 3}, FiredAt: t0, Pipelines: 2, Pending: []int{1}, Refused: true},
				{ID: "j2", Logs: []byte{4}, FiredAt: t0.Add(time.Minute), Pipelines: 1, Pending: []int{0}},
			}},
		},
		{name: "an explicit pinned reference", r: Record{Model: "m", Reference: &Reference{
			Start: t0, End: t0.Add(time.Hour), Count: 6, Bounds: []float64{0.25, 0.5, 0.75}, Counts: []uint64{1, 2, 3, 0},
		}}},
		{name: "an exponential pinned reference", r: Record{Model: "m", ModelVersion: "4", Reference: &Reference{
			Start: t0, End: t0.Add(time.Hour), Count: 7, Exponential: true, Scale: 3, Offset: -12, Zero: 1, Counts: []uint64{2, 0, 4},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Encode(tt.r)
			require.NoError(t, err)
			got, err := Decode(b)
			require.NoError(t, err)
			want := tt.r
			want.Version = Version
			assert.Equal(t, want, got)
		})
	}
}

func TestDecodeIsForwardCompatible(t *testing.T) {
	// A field a newer processor added is ignored.
	got, err := Decode([]byte(`{"v":1,"model":"m","cooldown_until":"2026-11-27T23:30:00Z","silences":[{"id":"s"}]}`))
	require.NoError(t, err)
	assert.Equal(t, Record{Version: 1, Model: "m", CooldownUntil: t0.Add(30 * time.Minute)}, got)

	// A record of a newer version is reported, so the caller skips it rather than misread it.
	_, err = Decode([]byte(`{"v":2,"model":"m","cooldown":{"until":1}}`))
	require.ErrorIs(t, err, ErrNewerVersion)
	assert.ErrorContains(t, err, "version 2")
	_, err = DecodeIndex([]byte(`{"v":9,"keys":[]}`))
	require.ErrorIs(t, err, ErrNewerVersion)
}

func TestDecodeRejectsCorruptRecords(t *testing.T) {
	for name, in := range map[string]string{
		"not json":            `{"v":1,"model":`,
		"no version":          `{"model":"m"}`,
		"version zero":        `{"v":0,"model":"m"}`,
		"no model":            `{"v":1}`,
		"wrong type":          `{"v":1,"model":"m","cooldown_until":17}`,
		"outbox job no id":    `{"v":1,"model":"m","outbox":[{"logs":"AQ=="}]}`,
		"outbox job no logs":  `{"v":1,"model":"m","outbox":[{"id":"j"}]}`,
		"version is a string": `{"v":"1","model":"m"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(in))
			require.ErrorIs(t, err, ErrCorrupt)
		})
	}
}

func TestKeysAreUnambiguous(t *testing.T) {
	pairs := [][2]string{{"a", "b/c"}, {"a/b", "c"}, {"a", ""}, {"", "a"}, {"x/1/y", "z"}, {"x", "1/y/z"}, {"1/a", ""}}
	seen := map[string][2]string{}
	for _, p := range pairs {
		k := Key(p[0], p[1])
		other, dup := seen[k]
		assert.False(t, dup, "key %q shared by %q and %q", k, p, other)
		seen[k] = p
	}
}

func TestIndexRoundTrip(t *testing.T) {
	b, err := EncodeIndex([]string{Key("a", ""), Key("b", "2")})
	require.NoError(t, err)
	keys, err := DecodeIndex(b)
	require.NoError(t, err)
	assert.Equal(t, []string{Key("a", ""), Key("b", "2")}, keys)
}

func TestACorruptReferenceIsReported(t *testing.T) {
	good := Reference{Start: t0, End: t0.Add(time.Hour), Count: 3, Bounds: []float64{0.5}, Counts: []uint64{1, 2}}
	tests := []struct {
		name   string
		change func(r *Reference)
		want   string
	}{
		{"counts that do not fit the bounds", func(r *Reference) { r.Counts = []uint64{3} }, "1 counts for 1 bounds"},
		{"counts that do not add up", func(r *Reference) { r.Count = 4 }, "counts add up to 3, not 4"},
		{"bounds in an exponential histogram", func(r *Reference) { r.Exponential = true }, "bounds in an exponential histogram"},
		{"a window that ends before it starts", func(r *Reference) { r.End = r.Start }, "ends"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := good
			ref.Counts = append([]uint64(nil), good.Counts...)
			tt.change(&ref)
			b, err := Encode(Record{Model: "m", Reference: &ref})
			require.NoError(t, err)
			_, err = Decode(b)
			require.ErrorIs(t, err, ErrCorrupt)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestParseKey(t *testing.T) {
	for _, tc := range []struct{ model, version string }{
		{"churn", "v1"}, {"a/b", "c/d"}, {"", ""}, {"m", ""}, {"12/x", "3"}, {"ünï", "v/"},
	} {
		m, v, ok := ParseKey(Key(tc.model, tc.version))
		if !ok || m != tc.model || v != tc.version {
			t.Errorf("ParseKey(Key(%q, %q)) = %q, %q, %v", tc.model, tc.version, m, v, ok)
		}
	}
	for _, key := range []string{"index", "silences", "model/", "model/x/a/b", "model/5/ab/c", "model/-1//", "model/01/a/", "model/1/a"} {
		if m, v, ok := ParseKey(key); ok {
			t.Errorf("ParseKey(%q) = %q, %q, true; want false", key, m, v)
		}
	}
}
