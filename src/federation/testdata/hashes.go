// Command hashes prints reference templateVersion / overridesVersion hashes computed the way
// upstream KubeFed v0.10 computes them (apimachinery's unstructured JSON decoding, then
// json.NewEncoder(w).Encode; overrides through the upstream structs). It is not run by the tests:
// its output is pasted into version.test.ts as fixtures. Run: go run ./src/federation/testdata/hashes.go
//
// Go 1.22 changed \b and \f to short escapes; upstream v0.10 predates that, so the fixtures avoid
// those two characters.
package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
)

type clusterOverride struct {
	Op    string      `json:"op,omitempty"`
	Path  string      `json:"path"`
	Value interface{} `json:"value,omitempty"`
}

type overrideItem struct {
	ClusterName      string            `json:"clusterName"`
	ClusterOverrides []clusterOverride `json:"clusterOverrides,omitempty"`
}

type overrideSpec struct {
	Overrides []overrideItem `json:"overrides,omitempty"`
}

// convert mirrors k8s.io/apimachinery/pkg/util/json: integers that fit int64 stay int64.
func convert(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			t[k] = convert(x)
		}
		return t
	case []interface{}:
		for i, x := range t {
			t[i] = convert(x)
		}
		return t
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, err := t.Float64()
		if err != nil {
			panic(err)
		}
		return f
	}
	return v
}

func encode(v interface{}) []byte {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func md5hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

var templates = []string{
	`{}`,
	`{"metadata":{"labels":{"app":"web"}},"spec":{"replicas":3,"template":{"spec":{"containers":[{"image":"nginx:1.25","name":"nginx"}]}}}}`,
	`{"data":{"html":"<b>a & b</b>","sep":"line\u2028para\u2029end","ctl":"\u0001\u001f\t\n\r\"\\","uni":"héllo ✓ 😀","del":"\u007f"}}`,
	`{"n":{"big":1e21,"bigger":1.5e300,"tiny":1e-7,"micro":0.000001,"half":0.5,"neg":-2.25,"int":123456789,"e20":100000000000000000000,"exp":1e3,"one":1.0,"small":1.5e-10}}`,
	`{"z":null,"a":true,"m":false,"arr":[],"obj":{},"nested":[{"b":1,"a":[{"y":2,"x":1}]}]}`,
	"{\"\ue000\":1,\"\U0001F600\":2,\"a\":3,\"B\":4,\"\u00e9\":5}",
}

var overrides = []string{
	`{}`,
	`{"overrides":[]}`,
	`{"overrides":[{"clusterName":"cluster1"}]}`,
	`{"overrides":[{"clusterName":"cluster1","clusterOverrides":[]}]}`,
	`{"overrides":[{"clusterName":"cluster1","clusterOverrides":[{"path":"/spec/replicas","value":5}]},{"clusterName":"cluster2","clusterOverrides":[{"op":"add","path":"/metadata/annotations/a","value":{"z":"<1>","a":[1.5,null,false]}},{"op":"remove","path":"/spec/x"},{"op":"replace","path":"/spec/y","value":null},{"path":"/spec/z","value":""}]}]}`,
}

func main() {
	for i, t := range templates {
		d := json.NewDecoder(bytes.NewReader([]byte(t)))
		d.UseNumber()
		var m map[string]interface{}
		if err := d.Decode(&m); err != nil {
			panic(err)
		}
		out := encode(convert(m))
		fmt.Printf("template %d %s %q\n", i, md5hex(out), out)
	}
	for i, o := range overrides {
		var spec overrideSpec
		if err := json.Unmarshal([]byte(o), &spec); err != nil {
			panic(err)
		}
		// An empty list stays a non-nil slice after Unmarshal, as in upstream.
		out := encode(map[string]interface{}{"overrides": spec.Overrides})
		fmt.Printf("overrides %d %s %q\n", i, md5hex(out), out)
	}
}
