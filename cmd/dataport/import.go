package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/ingest"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// importOptions are the flags of `dataport import`.
type importOptions struct {
	resource, org, title, subject, as string
	url, token                        string
	sheet, encoding, delimiter        string
	infer, quiet                      bool
}

// importResult is the last line `dataport import` prints, as JSON.
type importResult struct {
	ID       string `json:"id"`
	Code     string `json:"code"`
	Rows     int64  `json:"rows"`
	Version  int    `json:"version"`
	Rejected int64  `json:"rejected"`
	Status   string `json:"status"`
}

func importCommand(o *options) *cobra.Command {
	var opt importOptions
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Load a CSV, XLSX, JSON or NDJSON file into a resource as a new data version",
		Long: `Load a file into a resource (--resource CODE or id), or create a draft resource whose
items are inferred from the file (--infer --organization ORG_ID --title TITLE) and load it.
Works on the store directly (--data/--db, also while the server runs) or through a server
(--url URL --token TOKEN). Progress (rows/s, ETA) goes to standard error; the last line of
standard output is {"id":...,"code":...,"rows":N,"version":V,...}. A refused file prints
every refused value as "row N, column C, value V: reason" and exits with status 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opt.infer == (opt.resource != "") {
				return errors.New("give either --resource CODE or --infer --organization ORG_ID --title TITLE")
			}
			if opt.infer && (opt.org == "" || opt.title == "") {
				return errors.New("--infer needs --organization and --title")
			}
			if os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(160 << 20) // a soft limit: the GC works harder rather than letting a big load grow
			}
			var res importResult
			var err error
			if opt.url != "" {
				res, err = importRemote(cmd, opt, args[0])
			} else {
				res, err = importLocal(cmd, o, opt, args[0])
			}
			if err != nil {
				return reportLoadError(cmd.ErrOrStderr(), err)
			}
			line, _ := json.Marshal(res)
			fmt.Fprintln(cmd.OutOrStdout(), string(line))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.resource, "resource", "", "catalog code or id of the resource to load into")
	f.BoolVar(&opt.infer, "infer", false, "create a draft resource with items inferred from the file, then load it")
	f.StringVar(&opt.org, "organization", "", "with --infer: the providing institution's id")
	f.StringVar(&opt.title, "title", "", "with --infer: the resource's Chinese title")
	f.StringVar(&opt.subject, "subject", "20", "with --infer: the subject code (see /api/v1/catalog/spec)")
	f.StringVar(&opt.as, "as", "", "with the store: load as this username (default: the platform itself)")
	f.StringVar(&opt.url, "url", "", "load through the server at this URL instead of the store")
	f.StringVar(&opt.token, "token", "", "with --url: an API token of an editor of the institution")
	f.StringVar(&opt.sheet, "sheet", "", "XLSX: the sheet to read (default the first)")
	f.StringVar(&opt.encoding, "encoding", "", "CSV: utf-8 or gb18030 (default: detected)")
	f.StringVar(&opt.delimiter, "delimiter", "", "CSV: the delimiter, or tab (default: detected)")
	f.BoolVar(&opt.quiet, "quiet", false, "no progress bar")
	return cmd
}

func (opt importOptions) ingestOptions() ingest.Options {
	opts := ingest.Options{Sheet: opt.sheet, Encoding: opt.encoding}
	if opt.delimiter == "tab" || opt.delimiter == `\t` {
		opts.Delimiter = '\t'
	} else if opt.delimiter != "" {
		opts.Delimiter = []rune(opt.delimiter)[0]
	}
	return opts
}

// importLocal loads through the store.
func importLocal(cmd *cobra.Command, o *options, opt importOptions, path string) (importResult, error) {
	ctx := cmd.Context()
	a, err := o.open(ctx)
	if err != nil {
		return importResult{}, err
	}
	defer a.Close()
	actor := identity.System
	if opt.as != "" {
		u, err := a.Identity.UserByName(ctx, opt.as)
		if err != nil {
			return importResult{}, fmt.Errorf("--as %s: %w", opt.as, err)
		}
		if actor, err = a.Identity.Principal(ctx, u.ID); err != nil {
			return importResult{}, err
		}
	}
	var r catalog.Resource
	var sampled int64
	if opt.infer {
		in, n, err := inferInput(opt, path, ingest.SampleRows)
		if err != nil {
			return importResult{}, err
		}
		sampled = n
		if r, err = a.Catalog.Create(ctx, actor, opt.org, in); err != nil {
			return importResult{}, err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "created draft resource %s (%s) with %d inferred items\n", r.Code, r.ID, len(r.Items))
	} else if r, err = a.Catalog.GetByCode(ctx, actor, opt.resource); err != nil {
		if r, err = a.Catalog.Get(ctx, actor, opt.resource); err != nil {
			return importResult{}, fmt.Errorf("--resource %s: %w", opt.resource, err)
		}
	}
	file, size, err := openFile(path)
	if err != nil {
		return importResult{}, err
	}
	defer file.Close()
	bar := newBar(opt.quiet, size, cmd.ErrOrStderr())
	v, err := a.Datastore().Load(ctx, actor, r.ID, datastore.LoadInput{File: file, Name: filepath.Base(path), Size: size,
		Options: opt.ingestOptions(), Progress: bar.update, SampleRows: sampled})
	bar.finish()
	if err != nil {
		return importResult{}, err
	}
	printInference(cmd.ErrOrStderr(), v.Report)
	return importResult{ID: r.ID, Code: r.Code, Rows: v.Rows, Version: v.Version, Rejected: v.Rejected, Status: v.Status}, nil
}

func openFile(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// inferInput describes a draft resource whose items fit the first sample
// records of the file (all of them when sample is 0), and returns how many
// records it read.
func inferInput(opt importOptions, path string, sample int64) (catalog.Input, int64, error) {
	f, _, err := openFile(path)
	if err != nil {
		return catalog.Input{}, 0, err
	}
	defer f.Close()
	rd, err := ingest.Open(f, filepath.Base(path), opt.ingestOptions())
	if err != nil {
		return catalog.Input{}, 0, err
	}
	defer rd.Close()
	items, rows, complete, err := ingest.InferSample(rd, sample)
	if err != nil {
		return catalog.Input{}, 0, err
	}
	format := strings.ToUpper(string(rd.Info().Format))
	if format == "NDJSON" {
		format = "JSON"
	}
	desc := fmt.Sprintf("由文件 %s 导入，数据项由数据自动推断，待机构补充说明。", filepath.Base(path))
	if complete {
		desc = fmt.Sprintf("由文件 %s 导入（%d 条记录），数据项由数据自动推断，待机构补充说明。", filepath.Base(path), rows)
	}
	return catalog.Input{TitleZh: opt.title, DescriptionZh: desc,
		Subject: opt.subject, Formats: []string{format}, Items: items, UpdateFrequency: catalog.FreqIrregular,
		ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenNone, OpenBasis: "导入生成的草稿：开放属性待机构确认。",
		Classification: catalog.ClassGeneral, Level: 1}, rows, nil
}

// printInference tells what records after the sample changed in the
// inferred items.
func printInference(w io.Writer, rep *datastore.QualityReport) {
	if rep == nil || rep.Inference == nil {
		return
	}
	for _, c := range rep.Inference.Changes {
		at := ""
		if c.Row > 0 {
			at = fmt.Sprintf(" (row %d, value %q)", c.Row, c.Value)
		}
		switch c.Change {
		case datastore.ChangeWidened:
			fmt.Fprintf(w, "item %s (%s): %s → %s%s\n", c.Item, c.Column, c.From, c.To, at)
		case datastore.ChangeOptional:
			fmt.Fprintf(w, "item %s (%s): optional, some values are empty%s\n", c.Item, c.Column, at)
		case datastore.ChangeQuarantined:
			fmt.Fprintf(w, "item %s (%s): %d value(s) that are not %s quarantined%s\n", c.Item, c.Column, c.Count, c.From, at)
		}
	}
}

// bar shows a load's progress: bytes with ETA, and rows per second.
type bar struct {
	pb    *progressbar.ProgressBar
	w     io.Writer
	start time.Time
}

func newBar(quiet bool, size int64, w io.Writer) *bar {
	if quiet {
		return &bar{}
	}
	pb := progressbar.NewOptions64(size, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(250*time.Millisecond), progressbar.OptionSetWidth(30),
		progressbar.OptionSetDescription("loading"), progressbar.OptionFullWidth())
	return &bar{pb: pb, w: w, start: time.Now()}
}

func (b *bar) update(p datastore.Progress) {
	if b.pb == nil {
		return
	}
	rate := float64(p.Rows) / max(time.Since(b.start).Seconds(), 0.001)
	b.pb.Describe(fmt.Sprintf("%d rows (%.0f rows/s)", p.Rows, rate))
	b.pb.Set64(p.Bytes)
}

func (b *bar) finish() {
	if b.pb != nil {
		b.pb.Finish()
		fmt.Fprintln(b.w)
	}
}

// reportLoadError prints every refused value of a refused load.
func reportLoadError(w io.Writer, err error) error {
	var le *datastore.LoadError
	if !errors.As(err, &le) {
		return err
	}
	for _, e := range le.Errors {
		fmt.Fprintln(w, e.Error())
	}
	return errors.New(le.Reason)
}
