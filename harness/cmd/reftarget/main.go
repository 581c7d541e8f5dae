// Command reftarget serves the in-memory reference PaymentIntents target
// (package harness/reference) over HTTP on a loopback address.
//
//	go run ./harness/cmd/reftarget -addr 127.0.0.1:12111
//
// The first line on stdout is "reftarget listening on http://HOST:PORT", so
// a script can start it with -addr 127.0.0.1:0 and read the chosen port.
// It stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pi-conformance/suite/harness/reference"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "reftarget:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done (SIGINT/SIGTERM in main), then shuts down
// gracefully. The listening URL is the first line written to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reftarget", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:12111", "loopback host:port to listen on (port 0 picks a free port)")
	processingDelay := fs.Duration("processing-delay", 0, "processing PaymentIntents succeed after this long (0: stay processing until POST /v1/test_helpers/payment_intents/{id}/finish_processing)")
	allowCancelProcessing := fs.Bool("allow-cancel-processing", false, "allow canceling a processing PaymentIntent (default: refused with payment_intent_unexpected_state)")
	responseDelay := fs.Duration("response-delay", 0, "added latency before every response")
	maxBody := fs.Int64("max-body-bytes", reference.DefaultMaxBodyBytes, "request body limit in bytes")
	webhookBackoff := fs.Duration("webhook-backoff", reference.DefaultWebhookBackoff, "wait before the first webhook retry (doubled for each later one)")
	webhookAttempts := fs.Int("webhook-attempts", reference.DefaultWebhookMaxAttempts, "webhook delivery attempts per event and endpoint")
	webhookTimeout := fs.Duration("webhook-timeout", reference.DefaultWebhookTimeout, "timeout of one webhook delivery attempt")
	verbose := fs.Bool("v", false, "log every request (and webhook delivery) to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}

	opts := reference.Options{
		ProcessingDelay:       *processingDelay,
		AllowCancelProcessing: *allowCancelProcessing,
		ResponseDelay:         *responseDelay,
		MaxBodyBytes:          *maxBody,
		WebhookBackoff:        *webhookBackoff,
		WebhookMaxAttempts:    *webhookAttempts,
		WebhookTimeout:        *webhookTimeout,
	}
	logger := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
	if *verbose {
		opts.Logf = logger.Printf
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	ref := reference.New(opts)
	defer ref.Close() // stops webhook deliveries; after Shutdown, so no request emits an event after it
	srv := &http.Server{
		Handler:           ref,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}
	fmt.Fprintf(stdout, "reftarget listening on http://%s\n", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Println("reftarget: stopped")
	return nil
}

// checkLoopback refuses to listen on anything but a loopback address: the
// reference accepts any sk_test_ key and must not be reachable from outside.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid -addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %q is not a loopback address (use 127.0.0.1 or [::1])", addr)
	}
	return nil
}
