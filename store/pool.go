package store

import (
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// poolMaxConnsParam is the PostgreSQL URL parameter that bounds one
// process's connections (pgxpool spells it the same way). It is the
// store's, not the server's: open takes it out of the parameters pgx would
// otherwise send at connect, where PostgreSQL refuses it as an unknown
// setting.
const poolMaxConnsParam = "pool_max_conns"

// defaultPoolMaxConns is the connections one process opens at most when
// the URL does not say. A replica has up to scheduler.max_runs runs and
// delivery.workers sends at once, but each holds a connection only for a
// statement or a short transaction, so ten carry them all while three
// replicas stay well inside PostgreSQL's default max_connections (100).
const defaultPoolMaxConns = 10

// poolIdleTime is how long a connection may sit unused before it is
// closed. database/sql hands out the most recently used idle connection
// first, so a replica between firings keeps only what its pollers use, and
// what a burst opened goes back to PostgreSQL a minute later instead of
// holding a server process each for ever.
const poolIdleTime = time.Minute

// pgPoolSize reads pool_max_conns from the parameters pgx parsed out of the
// URL, removing it, and returns the size of the pool.
func pgPoolSize(params map[string]string) (int, error) {
	v, ok := params[poolMaxConnsParam]
	if !ok {
		return defaultPoolMaxConns, nil
	}
	delete(params, poolMaxConnsParam)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		// The value alone is safe to show; the URL around it is not.
		return 0, fmt.Errorf("store: open postgres: %s must be a whole number from 1 to 1000, not %q", poolMaxConnsParam, v)
	}
	return n, nil
}

// sizePool bounds db to n connections. Idle ones are kept up to the same
// number, so a burst does not close and reopen connections (each a
// PostgreSQL process) on every statement; poolIdleTime releases them.
func sizePool(db *sql.DB, n int) {
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(poolIdleTime)
	db.SetConnMaxLifetime(30 * time.Minute)
}
