package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"dataport/internal/ledger"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
)

func ledgerCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: "Audit the transparency log that seals every event"}
	var serverURL, receiptFile, bundleFile, key string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Verify the ledger in --data against the events table, a receipt against a live server, or an evidence bundle offline",
		Long: `With --data (and --db for PostgreSQL): recompute the tree from the stored tiles, check the
checkpoint's signature and root, and compare every event row with its log entry. Each event
row and each tile that differs is named, and the command exits non-zero.

With --url and --receipt: check a receipt (from GET /api/v1/ledger/receipts/{event_id}) on
its own — signature, entry, inclusion proof — and against the server's current checkpoint,
which must be consistent with the receipt's. Pin the server's key with --key.

With --bundle: check an evidence bundle (GET /api/v1/exchange/contracts/{id}/evidence)
offline, no server needed: every file against the manifest, every receipt against the
log's key (--key, which must then be the bundle's own; default the key in the bundle),
every event against its sealed entry, and every document against the SHA-256 a sealed
event names for it. Each file that fails is named, and the command exits non-zero.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if bundleFile != "" {
				return verifyBundle(cmd, bundleFile, key)
			}
			if serverURL != "" || receiptFile != "" {
				return verifyReceipt(cmd, serverURL, receiptFile, key)
			}
			return verifyData(cmd, o)
		},
	}
	verify.Flags().StringVar(&serverURL, "url", "", "URL of the server (e.g. https://data.example.gov.cn) whose log the receipt is checked against")
	verify.Flags().StringVar(&receiptFile, "receipt", "", "receipt JSON file; - reads standard input")
	verify.Flags().StringVar(&bundleFile, "bundle", "", "evidence bundle (zip) to verify offline")
	verify.Flags().StringVar(&key, "key", "", "verifier key to trust (ORIGIN+HASH+KEY); default: the server's /ledger/key, or the bundle's own")
	cmd.AddCommand(verify, rotateKeyCommand(o))
	return cmd
}

func rotateKeyCommand(o *options) *cobra.Command {
	var origin string
	cmd := &cobra.Command{
		Use:   "rotate-key --new-origin ORIGIN",
		Short: "Retire the ledger and its key, and start a new log under a new key and origin",
		Long: `Stop every replica first: the command refuses while a process sequences the ledger.

A checkpoint's signature binds the log's origin, so a new key means a new log with a new origin
(for example data.example.gov.cn/ledger/2027). The command audits the current log as
"ledger verify" does, moves it and its key into DATA/ledger-retired/ORIGIN-TIME/ with a
RETIRED.txt naming its last checkpoint and verifier key, creates the new key, and forgets every
event's log index in one transaction; when any step fails, the old log stays in place. The next
"dataport serve" seals every event again, oldest first, into the new log. Then publish the new
verifier key, and keep the retired log served so that earlier receipts stay checkable.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if origin == "" {
				return fmt.Errorf("ledger rotate-key: --new-origin is required")
			}
			a, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			r, err := ledger.RotateKey(cmd.Context(), a.DB, o.data, origin, time.Now())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "retired %s (checkpoint of %d entries, root %s) to %s\n", r.OldOrigin, r.OldSize,
				base64.StdEncoding.EncodeToString(r.OldRoot), r.Retired)
			for _, p := range r.OldProblems {
				fmt.Fprintln(out, "the retired log's audit found:", p)
			}
			fmt.Fprintf(out, "new log %s, verifier key %s\n", r.NewOrigin, r.NewVerifierKey)
			fmt.Fprintf(out, "%d events wait to be sealed into the new log: start the replicas (without --ledger-origin, or with --ledger-origin %s)\n", r.Reseal, r.NewOrigin)
			return nil
		},
	}
	cmd.Flags().StringVar(&origin, "new-origin", "", "origin of the new log, unlike the old one's (e.g. data.example.gov.cn/ledger/2027)")
	return cmd
}

func verifyData(cmd *cobra.Command, o *options) error {
	a, err := o.open(cmd.Context())
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := ledger.Verify(cmd.Context(), a.DB, o.data)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "ledger %s: checkpoint of %d entries, root %s\n", rep.Origin, rep.Size, base64.StdEncoding.EncodeToString(rep.Root))
	fmt.Fprintf(out, "%d event rows compared with their log entries; %d events not yet covered by the checkpoint\n", rep.Checked, rep.Pending)
	for _, p := range rep.Problems {
		fmt.Fprintln(out, "FAIL", p)
	}
	if !rep.OK() {
		return fmt.Errorf("ledger verify: %d problems", len(rep.Problems))
	}
	fmt.Fprintln(out, "OK: the log verifies and every sealed event row matches its entry")
	return nil
}

func verifyReceipt(cmd *cobra.Command, serverURL, receiptFile, key string) error {
	if serverURL == "" || receiptFile == "" {
		return fmt.Errorf("ledger verify: --url and --receipt go together")
	}
	var raw []byte
	var err error
	if receiptFile == "-" {
		raw, err = io.ReadAll(cmd.InOrStdin())
	} else {
		raw, err = os.ReadFile(receiptFile)
	}
	if err != nil {
		return err
	}
	var r ledger.Receipt
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("receipt %s: %w", receiptFile, err)
	}
	logURL := strings.TrimSuffix(serverURL, "/")
	if !strings.HasSuffix(logURL, "/ledger") {
		logURL += "/ledger"
	}
	check, err := ledger.VerifyReceipt(cmd.Context(), &http.Client{Timeout: 30 * time.Second}, logURL, key, r)
	if err != nil {
		return fmt.Errorf("ledger verify: receipt for event %s: %w", r.EventID, err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "event %s (%s on %s %s at %s) is entry %d of %s\n", r.EventID, check.Entry.Type,
		check.Entry.Subject.Kind, check.Entry.Subject.ID, check.Entry.At, r.Index, check.Origin)
	fmt.Fprintf(out, "receipt: checkpoint signature OK, inclusion proof OK (tree of %d entries)\n", check.ReceiptSize)
	fmt.Fprintf(out, "server: checkpoint of %d entries, consistent with the receipt's\n", check.CurrentSize)
	if key == "" {
		fmt.Fprintf(out, "key %s was fetched from the server; pin it with --key\n", check.VerifierKey)
	}
	fmt.Fprintln(out, "OK")
	return nil
}

func verifyBundle(cmd *cobra.Command, file, key string) error {
	var trusted note.Verifier
	if key != "" {
		v, err := note.NewVerifier(key)
		if err != nil {
			return fmt.Errorf("ledger verify: --key %q: %w", key, err)
		}
		trusted = v
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rep, err := ledger.VerifyBundle(f, st.Size(), trusted)
	out := cmd.OutOrStdout()
	for _, p := range rep.Problems {
		fmt.Fprintln(out, "FAIL", p)
	}
	if err != nil {
		return fmt.Errorf("ledger verify: %s: %d problems", file, len(rep.Problems))
	}
	printBundle(out, rep)
	return nil
}

func printBundle(out io.Writer, rep ledger.BundleReport) {
	fmt.Fprintf(out, "%d files match the manifest\n", rep.Files)
	fmt.Fprintf(out, "%d events sealed in %s, each receipt checked against one checkpoint (tree of %d entries, root %s)\n",
		len(rep.Events), rep.Origin, rep.TreeSize, base64.StdEncoding.EncodeToString(rep.Root))
	for _, e := range rep.Events {
		fmt.Fprintf(out, "  entry %d: %s on %s %s (event %s)\n", e.Index, e.Type, e.Subject.Kind, e.Subject.ID, e.ID)
	}
	for _, d := range rep.Documents {
		if d.Sealed {
			fmt.Fprintf(out, "document %s: SHA-256 %s is the %s sealed in event %s (entry %d)\n", d.Name, d.SHA256, d.Field, d.Event, d.Index)
		} else {
			fmt.Fprintf(out, "document %s: SHA-256 %s matches the manifest, but no event of the bundle seals it\n", d.Name, d.SHA256)
		}
	}
	if rep.Trusted {
		fmt.Fprintf(out, "key: the trusted key %s\n", rep.VerifierKey)
	} else {
		fmt.Fprintf(out, "key: the bundle's own %s; pin the log's key with --key\n", rep.VerifierKey)
	}
	fmt.Fprintln(out, "OK")
}
