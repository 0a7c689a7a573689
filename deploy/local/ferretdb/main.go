// Command qsmo-ferretdb runs FerretDB 1.24 (MongoDB wire protocol, SQLite storage) as a local
// development and test store. It wraps the embeddable package because a plain
// `go install .../cmd/ferretdb` panics without a generated version file (FerretDB issue #2982).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data", ".local/ferretdb", "directory for the SQLite databases")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	// FerretDB commits every update statement on its own. With SQLite's defaults (fsync at each
	// commit, a WAL checkpoint every 1,000 pages) a third of its time went to fsync and
	// checkpoints; these two settings made bulk state updates ~1.5x faster (measured).
	synchronous := flag.String("synchronous", "normal",
		"SQLite synchronous pragma: normal (a commit reaches the OS at once and the disk at the "+
			"next checkpoint: a killed process loses nothing, like MongoDB's default write "+
			"concern) or full (fsync at every commit)")
	walAutocheckpoint := flag.Int("wal-autocheckpoint", 10000,
		"WAL pages (4 KiB) between automatic checkpoints; SQLite's default is 1000")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "bad -log-level %q: %v\n", *logLevel, err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	dir, err := filepath.Abs(*dataDir)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		logger.Error("cannot prepare data directory", "dir", *dataDir, "error", err)
		os.Exit(1)
	}

	db, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   logger,
		Handler:  "sqlite",
		SQLiteURL: "file:" + dir + "/?" + url.Values{"_pragma": {
			"synchronous(" + *synchronous + ")",
			"wal_autocheckpoint(" + strconv.Itoa(*walAutocheckpoint) + ")",
		}}.Encode(),
	})
	if err != nil {
		logger.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "qsmo-ferretdb listening on %s, data in %s\n", *listen, dir)
	if err := db.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with an error", "error", err)
		os.Exit(1)
	}
}
