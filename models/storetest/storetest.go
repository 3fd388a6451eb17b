// Package storetest opens real, migrated stores for tests: a fresh SQLite file per test,
// and, when GATEHOUSE_TEST_POSTGRES_URL is set, a fresh PostgreSQL schema per test.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for schema setup

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// PostgresEnv names the variable that points the tests at a PostgreSQL server.
const PostgresEnv = "GATEHOUSE_TEST_POSTGRES_URL"

// SQLite returns a migrated store on a new SQLite file in the test's temp dir.
func SQLite(tb testing.TB) *store.Store {
	tb.Helper()
	return open(tb, "sqlite://"+filepath.Join(tb.TempDir(), "gatehouse.db"))
}

// Postgres returns a migrated store in a new schema of the test PostgreSQL database,
// dropped when the test ends. It skips the test when PostgreSQL is not configured.
func Postgres(tb testing.TB) *store.Store {
	tb.Helper()
	return open(tb, PostgresURL(tb))
}

// PostgresURL creates a fresh schema and returns a URL whose search_path is that schema.
// It skips the test when GATEHOUSE_TEST_POSTGRES_URL is unset.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skipf("%s is not set: PostgreSQL variant skipped", PostgresEnv)
	}
	schema := "t_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// urls remembers the database URL of each store opened here (for SameDatabase).
var urls sync.Map

// open opens and migrates the store at rawURL and closes it at the end of the test.
func open(tb testing.TB, rawURL string) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), rawURL)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	urls.Store(s, rawURL)
	return s
}

// SameDatabase opens a second store on s's database, as another instance of the portal
// would; it has its own caches and signer.
func SameDatabase(tb testing.TB, s *store.Store) *store.Store {
	tb.Helper()
	raw, ok := urls.Load(s)
	if !ok {
		tb.Fatal("SameDatabase: the store was not opened by storetest")
	}
	other, err := store.Open(context.Background(), raw.(string))
	if err != nil {
		tb.Fatalf("open a second store: %v", err)
	}
	tb.Cleanup(func() { _ = other.Close() })
	urls.Store(other, raw)
	return other
}

// Each runs fn once per available database: SQLite always, PostgreSQL when configured.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", SQLite}, {"postgres", Postgres}} {
		t.Run(d.name, func(t *testing.T) { fn(t, d.open(t)) })
	}
}

// Name describes the store's database for messages.
func Name(s *store.Store) string { return fmt.Sprint(s.Dialect()) }

// TestIssuer is the issuer URL test signers use.
const TestIssuer = "https://portal.test"

// MasterKeys returns a fresh random master keyring.
func MasterKeys(tb testing.TB) *models.MasterKeys {
	tb.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		tb.Fatal(err)
	}
	mk, err := models.NewMasterKeys([][]byte{k})
	if err != nil {
		tb.Fatal(err)
	}
	return mk
}

// Signer configures signing on the store with a fresh master key and test defaults
// (ES256, 90-day rotation, 10-minute lead, 60 s status-list ttl).
func Signer(tb testing.TB, s *store.Store) *signing.Signer {
	tb.Helper()
	return SignerFor(tb, s, TestIssuer)
}

// SignerFor is Signer with another issuer URL.
func SignerFor(tb testing.TB, s *store.Store, issuer string) *signing.Signer {
	tb.Helper()
	return SignerWithKeys(tb, s, issuer, MasterKeys(tb))
}

// SignerWithKeys is SignerFor under the master keys mk: instances of one portal share
// them (and so the signing keys in the database).
func SignerWithKeys(tb testing.TB, s *store.Store, issuer string, mk *models.MasterKeys) *signing.Signer {
	tb.Helper()
	sg, err := store.NewSigner(context.Background(), s, models.SignerConfig{
		Issuer: issuer, MasterKeys: mk,
		Rotation:      models.RotationPolicy{Alg: "ES256", Period: 90 * 24 * time.Hour, Lead: 10 * time.Minute},
		StatusListTTL: time.Minute, KeyMaxLifetime: 365 * 24 * time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatalf("signer: %v", err)
	}
	return sg
}

// Dump concatenates every value of every table of a SQLite store, one per line, so a
// test can assert that no secret or key material is stored in the clear.
func Dump(tb testing.TB, s *store.Store) string {
	tb.Helper()
	db, err := s.SQLDB()
	if err != nil {
		tb.Fatal(err)
	}
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		r, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			tb.Fatal(err)
		}
		cols, _ := r.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for r.Next() {
			_ = r.Scan(ptrs...)
			for _, v := range vals {
				b.Write(v)
				b.WriteByte('\n')
			}
		}
		r.Close()
	}
	return b.String()
}
