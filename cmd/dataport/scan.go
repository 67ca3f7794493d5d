package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"dataport/internal/classify"
	"dataport/internal/ingest"

	"github.com/spf13/cobra"
)

func scanCommand() *cobra.Command {
	var asJSON bool
	var rulesFile, subject, industry, encoding string
	cmd := &cobra.Command{
		Use:   "scan FILE",
		Short: "Find personal information in a data file and grade it (GB/T 43697)",
		Long: `Scan every value of a CSV (UTF-8 or GB18030), XLSX or JSON file with the detectors for
mainland-China identifiers (identity numbers, credit codes, phones, cards, plates, passports ...),
decide what each column holds, and grade the file with the grading rules. With --json the
output is {"rows","columns":[{"name","detected","matches","confidence",...}],"classification":
{"class","level","personal_information","sensitive_personal_information","reasons"}}; matches
count valid instances only (check characters pass). Values are never printed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rules := classify.DefaultRules()
			if rulesFile != "" {
				data, err := os.ReadFile(rulesFile)
				if err != nil {
					return err
				}
				if rules, err = classify.ParseRules(data); err != nil {
					return fmt.Errorf("%s: %w", rulesFile, err)
				}
			}
			res, skipped, err := scanFile(args[0], encoding)
			if err != nil {
				return err
			}
			g, err := rules.Grade(res, classify.Facts{Subject: subject, Industry: industry})
			if err != nil {
				return err
			}
			res.Classification = &g
			if skipped > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "dataport scan: %d malformed records skipped\n", skipped)
			}
			if asJSON {
				return writeIndentedJSON(cmd.OutOrStdout(), res)
			}
			printScan(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	f.StringVar(&rulesFile, "rules", "", "grading rule file (YAML or JSON); default: the shipped rules")
	f.StringVar(&subject, "subject", "", "catalog subject code of the data (e.g. 19 geospatial), for rules that use it")
	f.StringVar(&industry, "industry", "", "GB/T 4754 industry section of the data, for rules that use it")
	f.StringVar(&encoding, "encoding", "", "CSV encoding: utf-8 or gb18030; default: detected")
	return cmd
}

// scanFile streams a file's records through a scanner. Malformed records
// are skipped and counted.
func scanFile(path, encoding string) (classify.Result, int, error) {
	file, err := os.Open(path)
	if err != nil {
		return classify.Result{}, 0, err
	}
	defer file.Close()
	r, err := ingest.Open(file, filepath.Base(path), ingest.Options{Encoding: encoding})
	if err != nil {
		return classify.Result{}, 0, fmt.Errorf("%s: %w", path, err)
	}
	defer r.Close()
	s := classify.NewScanner(r.Header())
	skipped := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			skipped++
			continue
		}
		if err != nil {
			return classify.Result{}, skipped, fmt.Errorf("%s: %w", path, err)
		}
		s.Add(rec)
	}
	return s.Result(), skipped, nil
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func printScan(w io.Writer, res classify.Result) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "COLUMN\tDETECTED\tCONFIDENCE\tMATCHES\n")
	for _, c := range res.Columns {
		detected := "-"
		if c.Detected != nil {
			detected = string(*c.Detected)
		} else if c.FreeText {
			detected = "(free text)"
		}
		var m []string
		for _, t := range classify.Types {
			if n := c.Matches[t]; n > 0 {
				m = append(m, fmt.Sprintf("%s:%d", t, n))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%s\n", c.Name, detected, c.Confidence, strings.Join(m, " "))
	}
	tw.Flush()
	g := res.Classification
	fmt.Fprintf(w, "\n%d rows. Graded %s, level %d; personal information: %v; sensitive: %v (rules %s)\n",
		res.Rows, g.Class, g.Level, g.PersonalInfo, g.SensitivePersonalInfo, g.Rules)
	for _, r := range g.Reasons {
		col := ""
		if r.Column != "" {
			col = " [" + r.Column + "]"
		}
		fmt.Fprintf(w, "  %s/%d %s%s: %s\n", r.Class, r.Level, r.Rule, col, r.Text)
	}
}
