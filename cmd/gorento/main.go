// Command gorento is a WebRTC media server and room server that speaks the
// Kurento Protocol.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gorento/gorento/internal/app"
	"github.com/gorento/gorento/internal/config"
)

func main() {
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args)
	case "token":
		err = token(args, os.Stdout)
	case "version":
		fmt.Println("gorento", app.Version)
	default:
		err = fmt.Errorf("unknown command %q (commands: serve, token, version)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorento:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	cfg := config.Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	configFile := fs.String("config", "", "JSON configuration file (optional)")
	kurentoAddr := fs.String("kurento-listen", "", "Kurento Protocol ws listen address (default :8888)")
	webAddr := fs.String("web-listen", "", "HTTPS listen address for demos and rooms (default :8443)")
	dataDir := fs.String("data-dir", "", "data directory (TLS certificate, dumps)")
	logLevel := fs.String("log-level", "", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *configFile != "" {
		if err := cfg.LoadFile(*configFile); err != nil {
			return err
		}
	}
	if err := cfg.ApplyEnv(os.LookupEnv); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "kurento-listen":
			cfg.Kurento.Listen = *kurentoAddr
		case "web-listen":
			cfg.Web.Listen = *webAddr
		case "data-dir":
			cfg.DataDir = *dataDir
		case "log-level":
			cfg.Log.Level = *logLevel
		}
	})
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	log := newLogger(cfg.Log)
	a, err := app.Start(cfg, log)
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	s := <-sig
	log.Info("shutting down: draining (a second signal stops at once)", "signal", s.String(), "drainTimeout", cfg.DrainTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout.Duration)
	defer cancel()
	go func() {
		select {
		case <-sig:
			log.Warn("second signal: stopping now")
			cancel()
		case <-ctx.Done():
		}
	}()
	a.Shutdown(ctx)
	log.Info("stopped")
	return nil
}

func newLogger(c config.LogConfig) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
