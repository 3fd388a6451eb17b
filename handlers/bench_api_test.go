package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// benchAPI is a portal on the store open makes, with a user, their write token and
// their first project.
func benchAPI(b *testing.B, open func(testing.TB) *store.Store) (e *env, token, project string, actor models.Actor) {
	b.Helper()
	e = newEnv(b, func(o *envOptions) { o.store = open(b) })
	ctx := context.Background()
	u, _, err := e.store.SignIn(ctx, models.Identity{Issuer: "https://bench-idp", Subject: "bench", Email: "bench@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	actor = models.Actor{User: u}
	_, token, err = e.store.CreatePersonalToken(ctx, actor, models.PersonalTokenInput{Name: "bench", Scope: models.PersonalTokenWrite, TTL: 30 * 24 * time.Hour}, "")
	if err != nil {
		b.Fatal(err)
	}
	ps, err := e.store.ProjectsOf(ctx, actor)
	if err != nil || len(ps) == 0 {
		b.Fatal(err)
	}
	return e, token, ps[0].ID, actor
}

// apiHammer sends requests made by next from parallel goroutines and reports requests
// per second; every answer must have status want.
func apiHammer(b *testing.B, want int, next func(i int) *http.Request) {
	b.Helper()
	client := loopbackClient()
	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Do(next(int(n.Add(1))))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != want {
				b.Errorf("status %d, want %d", res.StatusCode, want)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkAPIRead: GET /api/v1/projects/{id} with a personal access token (token
// lookup, authorize, project read, JSON, ETag), on SQLite and on PostgreSQL when
// GATEHOUSE_TEST_POSTGRES_URL is set.
func BenchmarkAPIRead(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e, token, project, _ := benchAPI(b, db.open)
			url := e.portal.URL + "/api/v1/projects/" + project
			apiHammer(b, http.StatusOK, func(int) *http.Request {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				return req
			})
		})
	}
}

// BenchmarkAPIWrite: POST /api/v1/teams/{team}/projects (one write transaction with its
// audit event), per database.
func BenchmarkAPIWrite(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e, token, project, actor := benchAPI(b, db.open)
			pv, err := e.store.ProjectFor(context.Background(), actor, project)
			if err != nil {
				b.Fatal(err)
			}
			url := e.portal.URL + "/api/v1/teams/" + pv.TeamID + "/projects"
			apiHammer(b, http.StatusCreated, func(i int) *http.Request {
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(fmt.Sprintf(`{"name":"bench %d"}`, i)))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				return req
			})
		})
	}
}

// BenchmarkAPIStoreRead is the raw cost of the store call behind BenchmarkAPIRead
// (ProjectFor), without HTTP or the token lookup, measured in the same run.
func BenchmarkAPIStoreRead(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e, _, project, actor := benchAPI(b, db.open)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := e.store.ProjectFor(ctx, actor, project); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
		})
	}
}

// BenchmarkAPIStoreWrite is the raw cost of the store call behind BenchmarkAPIWrite
// (CreateProject).
func BenchmarkAPIStoreWrite(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e, _, project, actor := benchAPI(b, db.open)
			ctx := context.Background()
			pv, err := e.store.ProjectFor(ctx, actor, project)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := e.store.CreateProject(ctx, actor, pv.TeamID, fmt.Sprintf("bench %d", i), "", ""); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
		})
	}
}
