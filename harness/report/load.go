package report

import (
	"encoding/json"
	"fmt"
	"os"
)

// Load reads a results.json written by WriteAll.
func Load(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var res Results
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("%s: not a conformance results file: %w", path, err)
	}
	if res.SchemaVersion == 0 || res.Checks == nil && res.Matrix.Rows == nil {
		return nil, fmt.Errorf("%s: not a conformance results file (no schema_version, checks or matrix)", path)
	}
	if res.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("%s: results format version %d is newer than this tool understands (%d)", path, res.SchemaVersion, SchemaVersion)
	}
	for i := range res.Checks {
		if !res.Checks[i].Outcome.Valid() {
			return nil, fmt.Errorf("%s: check %q has unknown outcome %q", path, res.Checks[i].Text, res.Checks[i].Outcome)
		}
	}
	return &res, nil
}
