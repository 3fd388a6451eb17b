package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// feedBench is a portal with n verifiers subscribed to its feed, all holding the list
// of the first key (one process: the verifiers are what API processes would run).
type feedBench struct {
	e         *env
	actor     models.Actor
	project   string
	api       string
	verifiers []*verify.Verifier
}

func newFeedBench(b *testing.B, n int, cfg signing.FeedConfig) *feedBench {
	b.Helper()
	cfg.MaxSubscribers = max(n+10, 100)
	e := newEnv(b, func(o *envOptions) { o.statusEvents = cfg })
	ctx := context.Background()
	u, _, err := e.store.SignIn(ctx, models.Identity{Issuer: "https://idp", Subject: "bench", Email: "b@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	a := models.Actor{User: u}
	projects, err := e.store.ProjectsOf(ctx, a)
	if err != nil {
		b.Fatal(err)
	}
	api := firstAPIOf(b, e, &member{actor: a}, projects[0].TeamID)
	fb := &feedBench{e: e, actor: a, project: projects[0].ID, api: api.ID}
	_, token := fb.key(b)
	client := loopbackClient()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for range n {
		v, err := verify.New(ctx, e.portal.URL, verify.Audience(api.Identifier), verify.HTTPClient(client), verify.Logger(quiet))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(v.Close)
		if _, err := v.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
		fb.verifiers = append(fb.verifiers, v)
	}
	if !eventually(60*time.Second, func() bool { return e.h.FeedStats().Subscribers == n }) {
		b.Fatalf("%d of %d verifiers subscribed", e.h.FeedStats().Subscribers, n)
	}
	return fb
}

// key creates an API key in the benchmark's project.
func (fb *feedBench) key(b *testing.B) (*models.APIKey, string) {
	k, tok, err := fb.e.store.CreateAPIKey(context.Background(), fb.actor, fb.project, models.APIKeyInput{Name: "b", API: fb.api, TTL: time.Hour}, "")
	if err != nil {
		b.Fatal(err)
	}
	return k, tok
}

// BenchmarkRevocationToRejection measures, for 1, 100 and 1,000 verifiers subscribed
// to one instance, the time from a revocation's commit starting to each verifier
// having the bit set (so rejecting the key): p50 and p99 over every verifier and
// revocation. The yardstick, same run: the revocation's own commit (commit-ms).
func BenchmarkRevocationToRejection(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			fb := newFeedBench(b, n, signing.FeedConfig{})
			ctx := context.Background()
			var lat, commit []time.Duration
			tick := time.NewTicker(200 * time.Microsecond)
			defer tick.Stop()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				k, _ := fb.key(b)
				b.StartTimer()
				start := time.Now()
				if err := fb.e.store.RevokeAPIKey(ctx, fb.actor, fb.project, k.ID); err != nil {
					b.Fatal(err)
				}
				commit = append(commit, time.Since(start))
				for _, v := range fb.verifiers {
					for v.Stats().Feed.Applied < int64(i+1) {
						<-tick.C
					}
					lat = append(lat, v.Stats().Feed.LastEvent.Sub(start))
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			slices.Sort(commit)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
			b.ReportMetric(ms(commit[len(commit)/2]), "commit-ms")
		})
	}
}

// BenchmarkFeedIdleCPU is the process's CPU time (portal and verifiers: one process)
// per idle subscriber per second, with a heartbeat every second (15 times the default
// rate), against the same process with no subscriber in the same run.
func BenchmarkFeedIdleCPU(b *testing.B) {
	for _, n := range []int{0, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			newFeedBench(b, n, signing.FeedConfig{Heartbeat: time.Second})
			b.ResetTimer()
			var used time.Duration
			window := 2 * time.Second
			for i := 0; i < b.N; i++ {
				before := cpuTime(b)
				t := time.NewTimer(window)
				<-t.C
				used += cpuTime(b) - before
			}
			per := float64(used) / float64(b.N) / window.Seconds() / float64(time.Microsecond)
			b.ReportMetric(per, "cpu-µs/s")
			if n > 0 {
				b.ReportMetric(per/float64(n), "cpu-µs/s/subscriber")
			}
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
