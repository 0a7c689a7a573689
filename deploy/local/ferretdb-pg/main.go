// Command qsmo-ferretdb-pg runs FerretDB 1.24 with its PostgreSQL handler, for the measurement
// in deploy/local/ferretdb-pg/README.md (it is not part of `make up`). Like the SQLite wrapper in
// deploy/local/ferretdb, it wraps the embeddable package because a plain
// `go install .../cmd/ferretdb` panics without a generated version file (FerretDB issue #2982).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	postgresqlURL := flag.String("postgresql-url", "",
		"PostgreSQL URL, e.g. postgres://user@/ferretdb?host=/tmp/pg-socket-dir&pool_max_conns=50")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "bad -log-level %q: %v\n", *logLevel, err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if *postgresqlURL == "" {
		logger.Error("-postgresql-url is required")
		os.Exit(2)
	}

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Logger:        logger,
		Handler:       "postgresql",
		PostgreSQLURL: *postgresqlURL,
	})
	if err != nil {
		logger.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "qsmo-ferretdb-pg listening on %s\n", *listen)
	if err := db.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with an error", "error", err)
		os.Exit(1)
	}
}
