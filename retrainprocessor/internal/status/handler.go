package status

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults and bounds of the handler.
const (
	DefaultRefresh  = 10 * time.Second
	DefaultPageSize = 100
	// MaxLimit bounds a listing's limit=, on the page and in the API.
	MaxLimit       = 1000
	DefaultMaxBody = 16 << 10
	// MaxSilence is the longest silence one request may set.
	MaxSilence = 30 * 24 * time.Hour
	// MaxComment bounds a silence's comment, in bytes.
	MaxComment = 1 << 10
	// maxModelFilter bounds model=: an id longer than this matches nothing anyway.
	maxModelFilter = 256
)

// states are the model states in the order of status.go; error messages list them so.
var states = []string{StateOK, StateInsufficientData, StatePending, StateCooldown, StateSilenced}

// Options tune the handler; the zero value gives the defaults.
type Options struct {
	// Refresh is how often the page reloads itself; 0 means DefaultRefresh, negative turns it off.
	Refresh time.Duration
	// Now is the clock for the page's relative times ("in 12m"); nil means time.Now.
	Now func() time.Time
	// PageSize is how many models a listing holds when the request gives no limit=; 0 means
	// DefaultPageSize, and it is at most MaxLimit.
	PageSize int
	// MaxBody bounds a request body in bytes; 0 means DefaultMaxBody.
	MaxBody int64
}

type handler struct {
	src  Source
	opts Options
	mux  *http.ServeMux
	page *template.Template
}

// NewHandler serves src's status: the HTML page at GET /, the models and silences under
// /api/v1/. src must not be nil. It can be mounted under a prefix with http.StripPrefix: the
// page's links are relative.
func NewHandler(src Source, opts Options) http.Handler {
	if opts.Refresh == 0 {
		opts.Refresh = DefaultRefresh
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	opts.PageSize = min(opts.PageSize, MaxLimit)
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	h := &handler{src: src, opts: opts, mux: http.NewServeMux(), page: pageTemplate}
	h.mux.HandleFunc("GET /{$}", h.servePage)
	h.mux.HandleFunc("GET /api/v1/models", h.listModels)
	h.mux.HandleFunc("GET /api/v1/models/{model}", h.getModel)
	h.mux.HandleFunc("GET /api/v1/silences", h.listSilences)
	h.mux.HandleFunc("POST /api/v1/silences", h.addSilence)
	h.mux.HandleFunc("DELETE /api/v1/silences/{id}", h.deleteSilence)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		// The mux's own 404 and 405 are plain text; an API client gets JSON. Only the mux's
		// fallbacks have no pattern, so only they are rewritten.
		if _, pattern := h.mux.Handler(r); pattern == "" {
			h.mux.ServeHTTP(&apiFallback{ResponseWriter: w, r: r}, r)
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// apiFallback turns the mux's plain-text 404 and 405 into JSON errors, keeping 405's Allow.
type apiFallback struct {
	http.ResponseWriter
	r         *http.Request
	wrote     bool
	swallowed bool
}

func (f *apiFallback) WriteHeader(code int) {
	if f.wrote {
		return
	}
	f.wrote = true
	var msg string
	switch code {
	case http.StatusNotFound:
		msg = fmt.Sprintf("no route %s %s", f.r.Method, f.r.URL.Path)
	case http.StatusMethodNotAllowed:
		msg = fmt.Sprintf("method %s not allowed on %s (allowed: %s)", f.r.Method, f.r.URL.Path, f.Header().Get("Allow"))
	default: // a redirect to a cleaned path: leave it be
		f.ResponseWriter.WriteHeader(code)
		return
	}
	f.swallowed = true
	body, _ := json.Marshal(apiError{Error: msg})
	f.Header().Del("Content-Length")
	f.Header().Set("Content-Type", jsonContentType)
	f.ResponseWriter.WriteHeader(code)
	_, _ = f.ResponseWriter.Write(append(body, '\n'))
}

func (f *apiFallback) Write(b []byte) (int, error) {
	if !f.wrote {
		f.WriteHeader(http.StatusOK)
	}
	if f.swallowed {
		return len(b), nil
	}
	return f.ResponseWriter.Write(b)
}

const jsonContentType = "application/json; charset=utf-8"

// apiError is every API error body; Field names the parameter or body field at fault.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// fieldError is a bad request parameter or body field.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.msg }

func badField(field, format string, args ...any) *fieldError {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		body, _ = json.Marshal(apiError{Error: fmt.Sprintf("encode response: %v", err)})
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}

func writeError(w http.ResponseWriter, code int, err error) {
	e := apiError{Error: err.Error()}
	if fe, ok := errors.AsType[*fieldError](err); ok {
		e.Field = fe.field
	}
	writeJSON(w, code, e)
}

// parseFilter reads state=, model=, offset= and limit=; an absent limit is the page size.
func (h *handler) parseFilter(q url.Values) (Filter, error) {
	f := Filter{State: q.Get("state"), Model: q.Get("model"), Limit: h.opts.PageSize}
	if f.State != "" && !slices.Contains(states, f.State) {
		return f, badField("state", "state must be one of %s (got %q)", strings.Join(states, ", "), f.State)
	}
	if len(f.Model) > maxModelFilter {
		return f, badField("model", "model must be at most %d bytes (got %d)", maxModelFilter, len(f.Model))
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return f, badField("offset", "offset must be an integer >= 0 (got %q)", s)
		}
		f.Offset = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return f, badField("limit", "limit must be an integer from 1 to %d (got %q)", MaxLimit, s)
		}
		f.Limit = n
	}
	return f, nil
}

// models asks the source for a page and makes it safe to show and encode: never more models
// than asked for, no nil slices or maps, a count for every state, finite resources.
func (h *handler) models(f Filter) Page {
	p := h.src.Models(f)
	if len(p.Models) > f.Limit {
		p.Models = p.Models[:f.Limit]
	}
	if p.Models == nil {
		p.Models = []Model{}
	}
	counts := make(map[string]int, len(states)+len(p.Counts))
	for _, s := range states {
		counts[s] = 0
	}
	for s, n := range p.Counts {
		counts[s] = n
	}
	p.Counts = counts
	if p.Offset == 0 {
		p.Offset = f.Offset
	}
	if p.Limit == 0 {
		p.Limit = f.Limit
	}
	for i := range p.Models {
		p.Models[i] = tidy(p.Models[i])
	}
	return p
}

func tidy(m Model) Model {
	if m.Findings == nil {
		m.Findings = []Finding{}
	}
	m.Resource = finiteResource(m.Resource)
	return m
}

// GET /api/v1/models
func (h *handler) listModels(w http.ResponseWriter, r *http.Request) {
	f, err := h.parseFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, h.models(f))
}

// GET /api/v1/models/{model}?version=
func (h *handler) getModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("model")
	q := r.URL.Query()
	version := q.Get("version")
	m, ok := h.src.Model(id, version)
	if !ok && !q.Has("version") {
		// Without version=, a model that has one version is that version.
		versions := h.versions(id)
		switch len(versions) {
		case 1:
			m, ok = h.src.Model(id, versions[0])
		case 0:
		default:
			writeError(w, http.StatusBadRequest, badField("version",
				"model %q has versions %s: ask for one with version=", id, strings.Join(versions, ", ")))
			return
		}
	}
	if !ok {
		if q.Has("version") {
			writeError(w, http.StatusNotFound, fmt.Errorf("model %q version %q not found", id, version))
		} else {
			writeError(w, http.StatusNotFound, fmt.Errorf("model %q not found", id))
		}
		return
	}
	writeJSON(w, http.StatusOK, tidy(m))
}

// versions lists the versions of the model with exactly this id, walking the listing of ids that
// contain it; a rare path (no version= given, and no model without a version).
func (h *handler) versions(id string) []string {
	var out []string
	for f := (Filter{Model: id, Limit: MaxLimit}); ; f.Offset += f.Limit {
		p := h.src.Models(f)
		for _, m := range p.Models {
			if m.ModelID == id {
				out = append(out, m.ModelVersion)
			}
		}
		if len(p.Models) == 0 || f.Offset+len(p.Models) >= p.Total {
			return out
		}
	}
}

// silences is the source's active silences, soonest to end first.
func (h *handler) silences() []Silence {
	s := h.src.Silences()
	if s == nil {
		s = []Silence{}
	}
	slices.SortStableFunc(s, func(a, b Silence) int {
		if c := a.Until.Compare(b.Until); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return s
}

// GET /api/v1/silences
func (h *handler) listSilences(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.silences())
}

// silenceRequest is the body of POST /api/v1/silences.
type silenceRequest struct {
	ModelID      string `json:"model_id"`
	ModelVersion string `json:"model_version"`
	Duration     string `json:"duration"`
	Comment      string `json:"comment"`
}

// crossSite refuses a request that changes state from another site's page: a browser sends
// Sec-Fetch-Site, and an Origin on cross-origin requests. A JSON body (not a form a page could
// post without a CORS preflight) is required of silences besides.
func crossSite(w http.ResponseWriter, r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	origin := r.Header.Get("Origin")
	if site == "cross-site" || site == "same-site" || (origin != "" && !sameHost(origin, r.Host)) {
		writeError(w, http.StatusForbidden, errors.New("a request from another site's page cannot change silences"))
		return true
	}
	return false
}

func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host == host
}

// POST /api/v1/silences
func (h *handler) addSilence(w http.ResponseWriter, r *http.Request) {
	if crossSite(w, r) {
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, badField("Content-Type", "the body must be JSON: send Content-Type: application/json (got %q)", r.Header.Get("Content-Type")))
		return
	}
	req, d, err := h.decodeSilence(w, r)
	if err != nil {
		code := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			code = http.StatusRequestEntityTooLarge
		}
		writeError(w, code, err)
		return
	}
	s, err := h.src.AddSilence(req.ModelID, req.ModelVersion, d, req.Comment)
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("store silence: %w", err))
		return
	}
	writeJSON(w, http.StatusCreated, s)
}

func (h *handler) decodeSilence(w http.ResponseWriter, r *http.Request) (silenceRequest, time.Duration, error) {
	var req silenceRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.opts.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, 0, h.bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if mb, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return req, 0, h.bodyError(mb)
		}
		return req, 0, errors.New("body must hold one JSON object and nothing after it")
	}
	if strings.TrimSpace(req.ModelID) == "" {
		return req, 0, badField("model_id", "model_id is required")
	}
	for _, f := range []struct{ key, value string }{{"model_id", req.ModelID}, {"model_version", req.ModelVersion}} {
		switch {
		case len(f.value) > MaxModelID:
			return req, 0, badField(f.key, "%s must be at most %d bytes (got %d)", f.key, MaxModelID, len(f.value))
		case f.value != strings.TrimSpace(f.value):
			return req, 0, badField(f.key, "%s must not start or end with spaces (got %q): it would silence no model", f.key, f.value)
		}
	}
	if req.Duration == "" {
		return req, 0, badField("duration", `duration is required: a Go duration such as "2h" or "90m"`)
	}
	d, err := time.ParseDuration(req.Duration)
	if err != nil {
		return req, 0, badField("duration", `duration must be a Go duration such as "2h" or "90m" (got %q)`, req.Duration)
	}
	if d <= 0 {
		return req, 0, badField("duration", "duration must be positive (got %q)", req.Duration)
	}
	if d > MaxSilence {
		return req, 0, badField("duration", "duration must be at most %s (30 days) (got %q)", MaxSilence, req.Duration)
	}
	if len(req.Comment) > MaxComment {
		return req, 0, badField("comment", "comment must be at most %d bytes (got %d)", MaxComment, len(req.Comment))
	}
	return req, d, nil
}

// bodyError says what is wrong with a silence body, naming the field when there is one.
func (h *handler) bodyError(err error) error {
	if mb, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return fmt.Errorf("body must be at most %d bytes: %w", h.opts.MaxBody, mb)
	}
	if errors.Is(err, io.EOF) {
		return errors.New(`body is empty: want {"model_id": ..., "model_version": ..., "duration": "2h", "comment": ...}`)
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("body is not valid JSON at byte %d: %v", se.Offset, se)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return fmt.Errorf("body must be a JSON object (got %s)", te.Value)
		}
		return badField(te.Field, "%s must be a JSON %s (got %s)", te.Field, te.Type, te.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field, _ := strconv.Unquote(name)
		return badField(field, "unknown field %s: want model_id, model_version, duration, comment", name)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("body is not valid JSON: it ends early")
	}
	return fmt.Errorf("read body: %w", err)
}

// DELETE /api/v1/silences/{id}
func (h *handler) deleteSilence(w http.ResponseWriter, r *http.Request) {
	if crossSite(w, r) {
		return
	}
	id := r.PathValue("id")
	switch err := h.src.DeleteSilence(id); {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Errorf("silence %q not found", id))
	case err != nil:
		writeError(w, http.StatusInternalServerError, fmt.Errorf("delete silence %q: %w", id, err))
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// GET /
func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	f, err := h.parseFilter(r.URL.Query())
	if err != nil {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v := h.view(r, f)
	var buf bytes.Buffer
	if err := h.page.Execute(&buf, v); err != nil {
		http.Error(w, fmt.Sprintf("render status page: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Nothing leaves the page: no scripts, no fetches, no assets but its own inline style.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}
