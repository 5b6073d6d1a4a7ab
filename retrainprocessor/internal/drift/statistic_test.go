package drift

import (
	"math"
	"strings"
	"testing"
)

func TestParseStatistic(t *testing.T) {
	tests := []struct {
		name      string
		want      Statistic
		threshold float64
	}{
		{"psi", PSI, 0.2},
		{"js", JS, 0.1},
		{"hellinger", Hellinger, 0.15},
	}
	for _, tt := range tests {
		s, err := ParseStatistic(tt.name)
		if err != nil || s != tt.want {
			t.Errorf("ParseStatistic(%q) = %v, %v; want %v", tt.name, s, err, tt.want)
		}
		if got := s.String(); got != tt.name {
			t.Errorf("%v.String() = %q, want %q", s, got, tt.name)
		}
		if got := s.DefaultThreshold(); got != tt.threshold {
			t.Errorf("%v.DefaultThreshold() = %v, want %v", s, got, tt.threshold)
		}
	}
}

func TestParseStatisticRejectsUnknownNames(t *testing.T) {
	for _, bad := range []string{"", "PSI", "kl", "hellinger "} {
		_, err := ParseStatistic(bad)
		if err == nil {
			t.Errorf("ParseStatistic(%q) accepted it", bad)
			continue
		}
		msg := err.Error()
		for _, want := range []string{"psi", "js", "hellinger", `"` + bad + `"`} {
			if !strings.Contains(msg, want) {
				t.Errorf("ParseStatistic(%q) error %q does not mention %s", bad, msg, want)
			}
		}
	}
}

func TestUnknownStatistic(t *testing.T) {
	s := Statistic(3)
	if got := s.String(); got != "Statistic(3)" {
		t.Errorf("String() = %q", got)
	}
	if got := s.DefaultThreshold(); !math.IsNaN(got) {
		t.Errorf("DefaultThreshold() = %v, want NaN", got)
	}
	var c Comparer
	if v, ok := c.Compare(s, []uint64{1, 2}, []uint64{2, 1}, 2, 0); ok || v != 0 {
		t.Errorf("Compare with an unknown statistic = %v, %v; want 0, false", v, ok)
	}
}
