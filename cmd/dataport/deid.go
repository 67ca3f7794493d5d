package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"

	"dataport/internal/deid"
	"dataport/internal/ingest"

	"github.com/spf13/cobra"
)

func deidCommand() *cobra.Command {
	var profileFile, outFile, reportFile, key, encoding string
	cmd := &cobra.Command{
		Use:   "deid IN.csv --profile P.json --out OUT.csv --report R.json",
		Short: "De-identify a table: k-anonymity, l-diversity, t-closeness and column operators",
		Long: `Read a table (CSV in UTF-8 or GB18030, XLSX or JSON), find the generalisation of its
quasi-identifiers with the least information loss that satisfies the profile's privacy model
within its suppression limit, apply the column operators, and write the result and a report.

The profile is {"quasi_identifiers":[...],"sensitive":[...],"k":5,"l":0,"t":0,
"max_suppression":0.05,"metric":"loss|precision|discernibility|entropy",
"columns":{"col":{"op":"mask|redact|drop|pseudonymize|generalize|suppress|top_bottom|date_shift",...}},
"hierarchies":{"col":"file.csv"}}; hierarchy files are in ARX's format (value;level1;level2;...) and are read relative to the profile; a hierarchy may
also be {"type":"interval|date|region|mask|values"}. The report holds rows_in, rows_out,
suppressed, k_achieved, l_achieved, transformation, risk_before, risk_after and
information_loss: {"metric","value","granularity","generalization_intensity","discernibility",
"entropy"}, every metric (as ARX defines them) for the output, value being the profile's metric
(default loss, ARX's granularity), which the search minimises. Pseudonyms and date shifts are
keyed by --deid-key (DATAPORT_DEID_KEY).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if profileFile == "" || outFile == "" {
				return fmt.Errorf("deid: --profile and --out are required")
			}
			data, err := os.ReadFile(profileFile)
			if err != nil {
				return err
			}
			p, err := deid.ParseProfile(data)
			if err != nil {
				return fmt.Errorf("%s: %w", profileFile, err)
			}
			t, err := readDeidTable(args[0], encoding)
			if err != nil {
				return err
			}
			out, rep, err := deid.Anonymize(t, p, deid.Options{Key: []byte(key), Dir: filepath.Dir(profileFile)})
			if err != nil {
				return err
			}
			if err := writeDeidCSV(outFile, out); err != nil {
				return err
			}
			if reportFile != "" {
				f, err := os.Create(reportFile)
				if err != nil {
					return err
				}
				if err := writeIndentedJSON(f, rep); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d rows in, %d out (%d suppressed); k=%d achieved; transformation %v; information loss (%s) %.4f; "+
				"highest prosecutor risk %.4f → %.4f (%.1f ms)\n", rep.RowsIn, rep.RowsOut, rep.Suppressed, rep.KAchieved,
				rep.Transformation, rep.InformationLoss.Metric, rep.InformationLoss.Value, rep.RiskBefore.Prosecutor.Highest, rep.RiskAfter.Prosecutor.Highest, rep.ElapsedMS)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&profileFile, "profile", "", "de-identification profile (JSON)")
	f.StringVar(&outFile, "out", "", "output CSV (UTF-8)")
	f.StringVar(&reportFile, "report", "", "report JSON")
	f.StringVar(&key, "deid-key", "", "secret (at least 16 bytes) for pseudonyms and date shifts; prefer DATAPORT_DEID_KEY")
	f.StringVar(&encoding, "encoding", "", "CSV encoding: utf-8 or gb18030; default: detected")
	return cmd
}

// readDeidTable reads a whole file into memory (de-identification needs every row).
func readDeidTable(path, encoding string) (deid.Table, error) {
	file, err := os.Open(path)
	if err != nil {
		return deid.Table{}, err
	}
	defer file.Close()
	r, err := ingest.Open(file, filepath.Base(path), ingest.Options{Encoding: encoding})
	if err != nil {
		return deid.Table{}, fmt.Errorf("%s: %w", path, err)
	}
	defer r.Close()
	header := append([]string(nil), r.Header()...)
	rows, err := ingest.ReadAll(r)
	if err != nil {
		return deid.Table{}, fmt.Errorf("%s: %w", path, err)
	}
	for i, row := range rows { // short records are padded, long ones refused by Anonymize
		for len(row) < len(header) {
			row = append(row, "")
		}
		rows[i] = row
	}
	return deid.Table{Header: header, Rows: rows}, nil
}

func writeDeidCSV(path string, t deid.Table) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write(t.Header)
	w.WriteAll(t.Rows)
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
