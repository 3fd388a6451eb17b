package store_test

import (
	"context"
	"database/sql"
	"io/fs"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/migrations"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// TestMigrationFoldersMirror checks that migrations/sqlite and migrations/postgres hold
// the same versions, and that both databases end with the same tables and columns.
func TestMigrationFoldersMirror(t *testing.T) {
	names := func(dir string) []string {
		entries, err := fs.ReadDir(migrations.FS, dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	lite, pg := names("sqlite"), names("postgres")
	if strings.Join(lite, ",") != strings.Join(pg, ",") {
		t.Fatalf("migration files differ:\nsqlite:   %v\npostgres: %v", lite, pg)
	}

	sqlite := storetest.SQLite(t)
	postgres := storetest.Postgres(t) // skips without GATEHOUSE_TEST_POSTGRES_URL
	ctx := context.Background()
	lv, _, err := sqlite.MigrationStatus(ctx)
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	pv, _, err := postgres.MigrationStatus(ctx)
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	if lv != pv {
		t.Errorf("schema versions: sqlite %d, postgres %d", lv, pv)
	}
	liteCols := columns(t, sqlite.SQLDB, `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	pgCols := columns(t, postgres.SQLDB, `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema()`)
	if strings.Join(liteCols, "\n") != strings.Join(pgCols, "\n") {
		t.Errorf("columns differ:\nsqlite:\n%s\n\npostgres:\n%s", strings.Join(liteCols, "\n"), strings.Join(pgCols, "\n"))
	}
}

func columns(t *testing.T, open func() (*sql.DB, error), query string) []string {
	t.Helper()
	db, err := open()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
