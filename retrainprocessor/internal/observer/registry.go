package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Signal is a kind of telemetry the processor keeps per model; each is configured by a metric
// name under its own key (latency::metric, …).
type Signal uint8

const (
	Latency Signal = iota
	Throughput
	Accuracy
	Score
)

var signalKeys = [...]string{"latency", "throughput", "accuracy", "score"}

// Key is the signal's config key.
func (s Signal) Key() string {
	if int(s) < len(signalKeys) {
		return signalKeys[s]
	}
	return fmt.Sprintf("signal(%d)", uint8(s))
}

// Config is one observer's settings: a pointer to a struct whose mapstructure keys are the
// observer's config and override keys, with an enabled key.
type Config interface {
	// IsEnabled reports the enabled key.
	IsEnabled() bool
	// Validate names the key (prefixed with prefix, e.g. "observers::latency_sla") and the bad
	// value. A disabled observer is not validated.
	Validate(prefix string) []error
	// New builds the observer the evaluation runs.
	New() Observer
}

// Kind describes one observer. Each observer's file registers its Kind; config decoding,
// per-model overrides, validation and the README's table follow from the registry.
type Kind struct {
	// Name is the config key under observers (and under each override) and the job's reason.
	Name string
	// Rank orders observers in evaluations, jobs and the README: lower first.
	Rank int
	// Needs lists the signals the observer can work from; an enabled observer needs one of them
	// configured.
	Needs []Signal
	// Doc is one sentence for the README: what flags. Markdown.
	Doc string
	// Keys documents each config key but enabled, for the README. Markdown.
	Keys map[string]string
	// Defaults describes a default the README cannot print from the config (a nil pointer that
	// means "depends on another key").
	Defaults map[string]string
	// Default returns a new Config holding the observer's defaults.
	Default func() Config
	// Gauge is the health metric the processor emits with the observer's statistic at every
	// evaluation that judged it.
	Gauge Gauge
}

// Gauge names a health metric: retrain.model.<Name> in Unit, with a statistic attribute when
// ByStatistic (p99, psi).
type Gauge struct {
	Name, Unit, Description string
	ByStatistic             bool
}

var kinds []Kind

// register adds k to the registry; observer files call it from init.
func register(k Kind) {
	if k.Name == "" || k.Default == nil || len(k.Needs) == 0 || k.Gauge.Name == "" {
		panic("observer: incomplete Kind " + k.Name)
	}
	if _, dup := Lookup(k.Name); dup {
		panic("observer: " + k.Name + " registered twice")
	}
	kinds = append(kinds, k)
	slices.SortStableFunc(kinds, func(a, b Kind) int { return a.Rank - b.Rank })
}

// Kinds lists every registered observer, in rank order. The slice is the registry's: read it.
func Kinds() []Kind { return kinds }

// Lookup returns the observer registered under name.
func Lookup(name string) (Kind, bool) {
	for _, k := range kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// Names lists the registered observers' names, in rank order.
func Names() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.Name
	}
	return out
}

// Clone returns a copy of c, so an override can be applied to it without changing c. Configs
// are flat structs of values and pointers to values (an optional key): those pointed to are
// copied too, or decoding an override into the copy would write through them into c.
func Clone(c Config) Config {
	v := reflect.ValueOf(c).Elem()
	cp := reflect.New(v.Type()).Elem()
	cp.Set(v)
	for i := 0; i < cp.NumField(); i++ {
		f := cp.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() && f.CanSet() {
			p := reflect.New(f.Type().Elem())
			p.Elem().Set(f.Elem())
			f.Set(p)
		}
	}
	return cp.Addr().Interface().(Config)
}

// KeyDoc is one config key of an observer, for the README's table.
type KeyDoc struct {
	Key, Default, Doc string
}

// Docs lists the keys of k's config in declaration order, with their defaults and docs; the
// enabled key is documented by k.Doc.
func (k Kind) Docs() []KeyDoc {
	v := reflect.ValueOf(k.Default()).Elem()
	var out []KeyDoc
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if !f.IsExported() || key == "" {
			continue
		}
		doc := k.Keys[key]
		if key == "enabled" {
			doc = k.Doc
		}
		def, ok := k.Defaults[key]
		if !ok {
			def = format(v.Field(i).Interface())
		}
		out = append(out, KeyDoc{Key: key, Default: def, Doc: doc})
	}
	return out
}

func format(v any) string {
	switch v := v.(type) {
	case time.Duration:
		return formatDuration(v)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// formatDuration writes a duration as a user would in YAML: 100ms, 30m, 1h.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
