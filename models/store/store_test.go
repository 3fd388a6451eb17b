package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/pressly/goose/v3/lock"

	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

func TestParseDatabaseURL(t *testing.T) {
	for _, tc := range []struct {
		in      string
		dialect store.Dialect
		ok      bool
	}{
		{"sqlite://./data/gatehouse.db", store.SQLite, true},
		{"sqlite:///var/lib/gatehouse/g.db", store.SQLite, true},
		{"postgres://u@localhost:5432/db?sslmode=disable", store.Postgres, true},
		{"postgresql://u@localhost/db", store.Postgres, true},
		{"sqlite://", "", false},
		{"sqlite://x.db?_foreign_keys=off", "", false},
		{"mysql://x", "", false},
		{"", "", false},
	} {
		d, err := store.ParseDatabaseURL(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseDatabaseURL(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && d.Dialect != tc.dialect {
			t.Errorf("ParseDatabaseURL(%q) dialect = %s, want %s", tc.in, d.Dialect, tc.dialect)
		}
	}
}

func TestMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		cur, latest, err := s.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cur != latest || latest < 1 {
			t.Errorf("version %d of %d after Migrate, want latest", cur, latest)
		}
		again, err := s.Migrate(ctx)
		if err != nil || again != latest {
			t.Errorf("second Migrate = %d, %v; want %d and no error (idempotent)", again, err, latest)
		}
	})
}

func TestSQLitePragmas(t *testing.T) {
	s := storetest.SQLite(t)
	db, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
		var got string
		if err := db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

func TestMigrationStatusTakesNoLock(t *testing.T) {
	// Readiness checks read the schema version; they must not queue on the advisory lock
	// that migrating instances hold (several load-balancer probes at once, or another
	// instance migrating during a rolling deploy, would otherwise time them out).
	s := storetest.Postgres(t)
	db, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_lock($1)", lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", lock.DefaultLockID)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	cur, latest, err := s.MigrationStatus(ctx)
	if err != nil || cur != latest {
		t.Fatalf("MigrationStatus with the migration lock held elsewhere: %d of %d, %v", cur, latest, err)
	}
}
