package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// sdkBounds are the OpenTelemetry Go SDK's default explicit bucket boundaries (16 buckets).
var sdkBounds = []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}

// rates are each model's predictions per second by bucket: 100/s between 5 and 75 ms, healthy
// against the retrain processor's default 100 ms p99 threshold.
var rates = []struct {
	bucket int
	perSec float64
}{{2, 40}, {3, 30}, {4, 20}, {5, 10}}

// sender sends requests that carry one cumulative histogram point per model. Each worker plays
// one serving app with its own models (worker w sends models w*models .. w*models+models-1), one
// request at a time, so each model's points arrive in order as an SDK sends them: concurrent
// requests for the same stream would arrive out of order and be skipped as stale.
type sender struct {
	conn     *grpc.ClientConn
	client   pmetricotlp.GRPCClient
	models   int // per worker: points per request
	workers  int
	start    int64 // the streams' start time, unix ns
	last     atomic.Int64
	payloads []*payload // one per worker
}

// payload is one worker's request, rewritten in place before each send.
type payload struct {
	req pmetricotlp.ExportRequest
	dps []pmetric.HistogramDataPoint
}

func newSender(endpoint string, models, workers int) (*sender, error) {
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", endpoint, err)
	}
	s := &sender{
		conn:    conn,
		client:  pmetricotlp.NewGRPCClient(conn),
		models:  models,
		workers: workers,
		start:   time.Now().Add(-time.Minute).UnixNano(),
	}
	for w := range workers {
		s.payloads = append(s.payloads, newPayload(w*models, models, s.start))
	}
	return s, nil
}

func (s *sender) close() { _ = s.conn.Close() }

func newPayload(first, models int, start int64) *payload {
	md := pmetric.NewMetrics()
	p := &payload{req: pmetricotlp.NewExportRequestFromMetrics(md)}
	for i := first; i < first+models; i++ {
		rm := md.ResourceMetrics().AppendEmpty()
		attrs := rm.Resource().Attributes()
		attrs.PutStr("service.name", fmt.Sprintf("serving-%d", i%10))
		attrs.PutStr("ml.model.id", fmt.Sprintf("model-%04d", i))
		attrs.PutStr("ml.model.version", "3")
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("go.opentelemetry.io/otel/sdk/metric")
		m := sm.Metrics().AppendEmpty()
		m.SetName("ml.model.latency")
		m.SetUnit("ms")
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := h.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(pcommon.Timestamp(start))
		dp.ExplicitBounds().FromRaw(sdkBounds)
		dp.BucketCounts().FromRaw(make([]uint64, len(sdkBounds)+1))
		p.dps = append(p.dps, dp)
	}
	return p
}

// at rewrites the payload as the export at ts.
func (p *payload) at(ts, start int64) {
	elapsed := float64(ts-start) / 1e9
	var total uint64
	var sum float64
	for _, r := range rates {
		c := uint64(elapsed * r.perSec)
		total += c
		sum += float64(c) * (sdkBounds[r.bucket-1] + sdkBounds[r.bucket]) / 2
	}
	for _, dp := range p.dps {
		dp.SetTimestamp(pcommon.Timestamp(ts))
		bc := dp.BucketCounts()
		for _, r := range rates {
			bc.SetAt(r.bucket, uint64(elapsed*r.perSec))
		}
		dp.SetCount(total)
		dp.SetSum(sum)
	}
}

// next returns a timestamp later than every one handed out before.
func (s *sender) next() int64 {
	for {
		last := s.last.Load()
		ts := max(time.Now().UnixNano(), last+1)
		if s.last.CompareAndSwap(last, ts) {
			return ts
		}
	}
}

// result is what one run at a fixed rate achieved.
type result struct {
	target    float64 // points/s asked for
	achieved  float64 // points/s acknowledged
	requests  int64
	points    int64
	errors    int64
	rejected  int64 // points the collector reported as rejected (partial success)
	firstErr  error
	elapsed   time.Duration
	p50, p99  time.Duration // request latency
	maxBehind int64         // most requests the pacer was behind schedule
}

func (r result) String() string {
	return fmt.Sprintf("target %.0f points/s: achieved %.0f points/s (%d requests, %d errors, %d rejected points) in %s; request latency p50 %s p99 %s; behind by up to %d requests",
		r.target, r.achieved, r.requests, r.errors, r.rejected, r.elapsed.Round(time.Millisecond), r.p50, r.p99, r.maxBehind)
}

// sustained reports whether the run kept up: at least 95% of the rate acknowledged, no errors.
func (r result) sustained() bool {
	return r.errors == 0 && r.rejected == 0 && r.achieved >= 0.95*r.target
}

// run sends at rate points/s for d. A pacer hands out request slots on schedule; at most
// s.workers requests are in flight, so a collector that cannot keep up makes the run fall behind
// rather than queue without bound.
func (s *sender) run(ctx context.Context, rate float64, d time.Duration) result {
	perRequest := s.models
	reqPerSec := rate / float64(perRequest)

	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	slots := make(chan struct{}, s.workers)
	var (
		wg                                sync.WaitGroup
		mu                                sync.Mutex
		lat                               []time.Duration
		requests, points, errors, rejects atomic.Int64
		firstErr                          error
	)
	for _, p := range s.payloads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for range slots {
				p.at(s.next(), s.start)
				began := time.Now()
				resp, err := s.client.Export(context.Background(), p.req)
				mine = append(mine, time.Since(began))
				requests.Add(1)
				if err != nil {
					errors.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				rejected := resp.PartialSuccess().RejectedDataPoints()
				rejects.Add(rejected)
				points.Add(int64(perRequest) - rejected)
			}
		}()
	}

	began := time.Now()
	var issued, maxBehind int64
	tick := time.NewTicker(time.Millisecond)
pace:
	for {
		due := int64(time.Since(began).Seconds() * reqPerSec)
		for issued < due {
			select {
			case slots <- struct{}{}:
				issued++
			case <-ctx.Done():
				break pace
			}
			maxBehind = max(maxBehind, due-issued)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			break pace
		}
	}
	tick.Stop()
	close(slots)
	wg.Wait()
	elapsed := time.Since(began)

	r := result{
		target:    rate,
		requests:  requests.Load(),
		points:    points.Load(),
		errors:    errors.Load(),
		rejected:  rejects.Load(),
		firstErr:  firstErr,
		elapsed:   elapsed,
		maxBehind: maxBehind,
	}
	r.achieved = float64(r.points) / elapsed.Seconds()
	if len(lat) > 0 {
		slices.Sort(lat)
		r.p50 = lat[len(lat)/2]
		r.p99 = lat[min(len(lat)*99/100, len(lat)-1)]
	}
	return r
}
