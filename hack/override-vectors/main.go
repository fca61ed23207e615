// Command override-vectors applies every case of override-cases.json the way upstream KubeFed
// v0.10 does (pkg/controller/util/overrides.go ApplyJsonPatch: op "" defaulted to "replace", the
// overrides marshalled through its struct — so a null value is omitted — then
// jsonpatch.DecodePatch(...).Apply(obj.MarshalJSON())) and writes the outcome of each.
//
// Run from the repository root:
//
//	(cd hack/override-vectors && go run . ../../src/federation/testdata)
//	npx prettier --write src/federation/testdata/override-vectors.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	jsonpatch "github.com/evanphx/json-patch"
)

// clusterOverride is upstream's ClusterOverride (pkg/controller/util/overrides.go).
type clusterOverride struct {
	Op    string      `json:"op,omitempty"`
	Path  string      `json:"path"`
	Value interface{} `json:"value,omitempty"`
}

type testCase struct {
	Name string          `json:"name"`
	Doc  json.RawMessage `json:"doc"`
	// Overrides as written in the case (kept raw, so that "op": "" and "value": null stay).
	Overrides json.RawMessage `json:"overrides"`
}

type vector struct {
	testCase
	// Result is the patched document when upstream applies the overrides, absent when it fails.
	Result json.RawMessage `json:"result,omitempty"`
	// Error is upstream's error text when it fails.
	Error string `json:"error,omitempty"`
}

func apply(doc []byte, overrides []clusterOverride) ([]byte, error) {
	for i := range overrides {
		if overrides[i].Op == "" {
			overrides[i].Op = "replace"
		}
	}
	patchBytes, err := json.Marshal(overrides)
	if err != nil {
		return nil, err
	}
	patch, err := jsonpatch.DecodePatch(patchBytes)
	if err != nil {
		return nil, err
	}
	return patch.Apply(doc)
}

func main() {
	dir := os.Args[1]
	raw, err := os.ReadFile(filepath.Join(dir, "override-cases.json"))
	if err != nil {
		panic(err)
	}
	var cases []testCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		panic(err)
	}
	out := make([]vector, 0, len(cases))
	for _, c := range cases {
		var ops []clusterOverride
		if err := json.Unmarshal(c.Overrides, &ops); err != nil {
			panic(err)
		}
		v := vector{testCase: c}
		result, err := apply(c.Doc, ops)
		if err != nil {
			v.Error = err.Error()
		} else {
			v.Result = result
		}
		out = append(out, v)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "override-vectors.json"), append(b, '\n'), 0o644); err != nil {
		panic(err)
	}
	fmt.Printf("%d vectors\n", len(out))
}
