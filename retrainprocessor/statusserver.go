package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/status"
)

// statusServer serves the status page and API (internal/status) on status::endpoint, with
// confighttp's server settings: TLS, auth extensions, CORS, limits.
type statusServer struct {
	srv  *http.Server
	addr net.Addr
	done sync.WaitGroup
}

// startStatus starts the status server when status::endpoint is set.
func (p *retrainProcessor) startStatus(ctx context.Context, host component.Host) error {
	if p.board == nil {
		return nil
	}
	handler := status.NewHandler(p.board, status.Options{Now: p.now})
	srv, err := p.cfg.Status.ToServer(ctx, host.GetExtensions(), p.set.TelemetrySettings, handler)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	ln, err := p.cfg.Status.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("status: listen on %s: %w", p.cfg.Status.NetAddr.Endpoint, err)
	}
	s := &statusServer{srv: srv, addr: ln.Addr()}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.logger.Error("The status server stopped", zap.Error(err))
		}
	}()
	p.server = s
	p.logger.Info("Serving the status page and API", zap.String("endpoint", ln.Addr().String()),
		zap.String("url", "http://"+ln.Addr().String()+"/"))
	return nil
}

// stopStatus stops the status server, within ctx.
func (p *retrainProcessor) stopStatus(ctx context.Context) error {
	s := p.server
	if s == nil {
		return nil
	}
	p.server = nil
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	s.done.Wait()
	return err
}
