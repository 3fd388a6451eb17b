package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gatehouse-dev/gatehouse/migrations"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
)

// Dialect names the SQL database behind a Store.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is the domain's access to the database. Every method takes a context first.
type Store struct {
	db      *gorm.DB
	dialect Dialect
	// writeGate lets one write transaction at a time begin on SQLite, which allows one
	// writer anyway: the others wait here, in order and holding no connection, instead
	// of inside BEGIN IMMEDIATE on SQLite's busy handler.
	writeGate chan struct{}
	// clients caches recently authenticated clients (client_cache.go).
	clients clientCache
	// clock is what every rule that depends on time reads (SetClock).
	clock func() time.Time
	// signer signs credentials; set by NewSigner.
	signer *signing.Signer
	// fetcher fetches clients' jwks_uri key sets (private_key_jwt). Its AllowInsecure is
	// for development and tests only.
	fetcher *JWKSFetcher
	// events hears of committed changes (events.go); usage counts them (usage.go).
	events events
	usage  usageOnce
	// used buffers when credentials were last used (last_used.go).
	used lastUsed
	// webhooks sends webhook deliveries; instance names this process in delivery leases.
	webhooks *WebhookClient
	instance string
	// senders are this instance's sends in progress (webhook_delivery.go).
	senders webhookSenders
	// exchangeDepth is the act-chain depth limit of token exchange (0: the default).
	exchangeDepth atomic.Int64
}

// DSN is a parsed GATEHOUSE_DATABASE_URL.
type DSN struct {
	Dialect Dialect
	// Path is the SQLite file (sqlite only).
	Path string
	// URL is the connection string handed to the driver.
	URL string
}

// ParseDatabaseURL accepts "sqlite://PATH" (relative or absolute, e.g.
// sqlite://./data/gatehouse.db or sqlite:///var/lib/gatehouse/db) and "postgres://…" or
// "postgresql://…".
func ParseDatabaseURL(raw string) (DSN, error) {
	switch {
	case strings.HasPrefix(raw, "sqlite://"):
		path := strings.TrimPrefix(raw, "sqlite://")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			return DSN{}, errors.New("sqlite URLs take no query parameters; Gatehouse sets the pragmas itself")
		}
		if path == "" {
			return DSN{}, errors.New("sqlite URL has no file path (want sqlite://./data/gatehouse.db)")
		}
		return DSN{Dialect: SQLite, Path: path, URL: sqliteDSN(path)}, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return DSN{}, fmt.Errorf("not a valid postgres URL: %w", err)
		}
		return DSN{Dialect: Postgres, URL: raw}, nil
	default:
		return DSN{}, errors.New("must start with sqlite:// or postgres://")
	}
}

// sqliteDSN opens SQLite the way concurrent writers need: WAL, a busy timeout, write
// transactions that take the lock up front (no upgrade deadlocks), foreign keys on.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_foreign_keys", "on")
	// FULL: a commit is on disk before it is acknowledged, so an issued key is never
	// lost on power failure (and its status index never handed out twice).
	q.Set("_synchronous", "FULL")
	return "file:" + path + "?" + q.Encode()
}

// Open connects to the database named by rawURL. It does not migrate; call Migrate.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	dsn, err := ParseDatabaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true,
		// No GORM statement cache: it prepares new statements on the pool under one
		// lock, so a transaction holding SQLite's write lock (or a PostgreSQL row lock)
		// could wait for a connection held by a request waiting for that very lock —
		// every write after a cold start stalled for the busy timeout and failed. pgx
		// caches prepared statements on each connection by itself; SQLite prepares a
		// statement in microseconds.
		PrepareStmt: false,
	}
	var db *gorm.DB
	switch dsn.Dialect {
	case SQLite:
		if dir := filepath.Dir(dsn.Path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		db, err = gorm.Open(sqlite.Open(dsn.URL), cfg)
	case Postgres:
		db, err = gorm.Open(postgres.Open(dsn.URL), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dsn.Dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	// Keep as many idle connections as open ones: database/sql keeps 2 by default, and
	// under concurrent load the rest would be closed and reopened (a new PostgreSQL
	// backend, or a new SQLite handle, per request).
	maxConns := 25
	if dsn.Dialect == SQLite {
		maxConns = 8 // one writer at a time is SQLite's rule anyway; readers share WAL snapshots
	}
	sqlDB.SetMaxOpenConns(maxConns)
	sqlDB.SetMaxIdleConns(maxConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, dialect: dsn.Dialect, clock: func() time.Time { return time.Now().UTC() }, fetcher: NewJWKSFetcher(false),
		webhooks: NewWebhookClient(false, nil), instance: models.RandomToken(10)}
	if dsn.Dialect == SQLite {
		s.writeGate = make(chan struct{}, 1)
	}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// Dialect reports which database the store talks to.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	return nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// now returns the store's clock in UTC.
func (s *Store) now() time.Time { return s.clock().UTC() }

// Now is the store's time: what expiries, audit events and usage days are measured by.
func (s *Store) Now() time.Time { return s.clock() }

// SetClock replaces the store's clock (tests; set it before the store is shared).
func (s *Store) SetClock(now func() time.Time) { s.clock = now }

// JWKSFetcher is the fetcher of clients' jwks_uri key sets.
func (s *Store) JWKSFetcher() *JWKSFetcher { return s.fetcher }

// SetJWKSFetcher replaces the jwks_uri fetcher (one that allows plain HTTP to private
// addresses is for development and tests only). Set it before the store is shared.
func (s *Store) SetJWKSFetcher(f *JWKSFetcher) { s.fetcher = f }

// migrationProvider builds a goose provider for the store's dialect. With lock (for
// migrating), on PostgreSQL it takes an advisory lock so instances starting together
// migrate once; reading the version (readiness checks) takes no lock.
func (s *Store) migrationProvider(withLock bool) (*goose.Provider, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var (
		dialect goose.Dialect
		dir     string
		opts    []goose.ProviderOption
	)
	switch s.dialect {
	case SQLite:
		dialect, dir = goose.DialectSQLite3, "sqlite"
	case Postgres:
		dialect, dir = goose.DialectPostgres, "postgres"
		if withLock {
			// Retry every second (goose's default is 5 s), for up to 5 minutes.
			locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
			if err != nil {
				return nil, err
			}
			opts = append(opts, goose.WithSessionLocker(locker))
		}
	}
	sub, err := fs.Sub(migrations.FS, dir)
	if err != nil {
		return nil, err
	}
	opts = append(opts, goose.WithGoMigrations(goMigrations(s.dialect)...), goose.WithDisableGlobalRegistry(true))
	return goose.NewProvider(dialect, sqlDB, sub, opts...)
}

// Migrate applies every pending migration and returns the schema version reached.
func (s *Store) Migrate(ctx context.Context) (int64, error) {
	p, err := s.migrationProvider(true)
	if err != nil {
		return 0, err
	}
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// MigrateTo applies (or rolls back) migrations until the schema is at version: for
// tests of a migration on a database seeded in the shape before it, and for operators
// rolling back a release.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.migrationProvider(true)
	if err != nil {
		return err
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	if version >= current {
		_, err = p.UpTo(ctx, version)
	} else {
		_, err = p.DownTo(ctx, version)
	}
	if err != nil {
		return fmt.Errorf("migrate to %d: %w", version, err)
	}
	return nil
}

// MigrationStatus reports the schema version in the database and the newest one known.
func (s *Store) MigrationStatus(ctx context.Context) (current, latest int64, err error) {
	p, err := s.migrationProvider(false)
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, err
	}
	sources := p.ListSources()
	if len(sources) > 0 {
		latest = sources[len(sources)-1].Version
	}
	return current, latest, nil
}

// SQLDB exposes the underlying connection pool (for integrity checks and tests).
func (s *Store) SQLDB() (*sql.DB, error) { return s.db.DB() }

// tx runs fn in a transaction. On SQLite the transaction takes the write lock at BEGIN
// (_txlock=immediate), so concurrent writers queue on busy_timeout instead of failing.
// On SQLite, transactions first pass the write gate (one at a time, in the order they
// arrive, bounded by ctx).
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.transact(ctx, fn, true)
}

// transact is tx; clearClients false keeps the client cache (a write that changes no
// credential or grant, such as recording when credentials were last used).
func (s *Store) transact(ctx context.Context, fn func(tx *gorm.DB) error, clearClients bool) error {
	if s.writeGate != nil {
		select {
		case s.writeGate <- struct{}{}:
			defer func() { <-s.writeGate }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	fx := &txEffects{}
	if err := s.db.WithContext(context.WithValue(ctx, txEffectsKey{}, fx)).Transaction(fn); err != nil {
		if StorageFull(err) {
			return fmt.Errorf("%w: the database's disk is full: %v", models.ErrUnavailable, err)
		}
		return err
	}
	// Whatever it changed (a secret, a grant, a project's settings), no client
	// authenticated before it is served from memory on this instance any more.
	if clearClients {
		s.clients.clear()
	}
	for _, f := range fx.fns {
		f()
	}
	return nil
}

// notFound turns GORM's record-not-found into the domain's ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.ErrNotFound
	}
	return err
}

// StorageFull reports whether err says the database ran out of disk (SQLite's
// SQLITE_FULL, PostgreSQL's disk_full 53100): nothing was written, and the write can
// succeed once there is room.
func StorageFull(err error) bool {
	var le sqlite3.Error
	if errors.As(err, &le) && le.Code == sqlite3.ErrFull {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "53100"
}

// NewSigner builds the portal's signer over the store's key ring and status lists and
// makes it the store's: API keys are signed, and revocations marked, with it.
func NewSigner(ctx context.Context, s *Store, cfg models.SignerConfig) (*signing.Signer, error) {
	sg, err := signing.New(ctx, s, s.now, cfg)
	if err != nil {
		return nil, err
	}
	s.signer = sg
	return sg, nil
}
