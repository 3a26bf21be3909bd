// Package report turns a benchmark invocation's results into results.json,
// a Markdown table with the ratios gorento ÷ peer (medians of the
// repetitions, with ranges) checked against the goals G1–G6 of the
// performance spec, and PNG plots of CPU per packet and p99 latency
// against N.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"github.com/gorento/gorento/bench/internal/scenario"
)

// Results is everything one invocation measured.
type Results struct {
	Mode        string                `json:"mode"`
	Started     string                `json:"started"`
	Seconds     float64               `json:"seconds"`
	Host        map[string]string     `json:"host"`
	Media       string                `json:"media"`
	Plan        map[string]string     `json:"plan"`
	Versions    map[string]string     `json:"versions"`
	Unavailable map[string]string     `json:"unavailable"`
	Baselines   []scenario.Baseline   `json:"baselines"`
	Loads       []scenario.Load       `json:"loads"`
	Setups      []scenario.Setup      `json:"setups"`
	Churns      []scenario.Churn      `json:"churns"`
	Releases    []scenario.ReleaseAll `json:"releases,omitempty"`
	Ramps       []scenario.Ramp       `json:"ramps"`
	Summary     []Row                 `json:"summary"` // filled by Write
	Goals       []Goal                `json:"goals"`   // filled by Write
}

// HostInfo describes the machine.
func HostInfo() map[string]string {
	h := map[string]string{"go": runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n := 0
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "processor") {
				n++
			}
			if _, ok := h["cpu"]; !ok && strings.HasPrefix(l, "model name") {
				_, v, _ := strings.Cut(l, ":")
				h["cpu"] = strings.TrimSpace(v)
			}
		}
		h["cpus"] = itoa(n)
	}
	if out, err := exec.Command("uname", "-r").Output(); err == nil {
		h["kernel"] = strings.TrimSpace(string(out))
	}
	return h
}

// Write writes results.json, results.md and the plots into dir.
func Write(dir string, r *Results) error {
	r.Summary = summarize(r)
	r.Goals = goals(r)
	b, err := json.MarshalIndent(sanitize(r), "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(markdown(r)), 0o644); err != nil {
		return err
	}
	return plots(dir, r)
}

// sanitize turns results into generic JSON values, writing NaN and ±Inf
// (figures that could not be measured) as null, which encoding/json
// cannot write for a float64.
func sanitize(v any) any { return generic(reflect.ValueOf(v)) }

func generic(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return generic(v.Elem())
	case reflect.Struct:
		m := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			if strings.Contains(opts, "omitempty") && fv.IsZero() {
				continue
			}
			m[name] = generic(fv)
		}
		return m
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = generic(v.Index(i))
		}
		return out
	case reflect.Map:
		m := map[string]any{}
		for _, k := range v.MapKeys() {
			m[fmt.Sprint(k.Interface())] = generic(v.MapIndex(k))
		}
		return m
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	}
	return v.Interface()
}

func itoa(n int) string { return strconv.Itoa(n) }

// Read loads a run's results.json (figures written as null, unmeasured,
// come back as NaN).
func Read(dir string) (*Results, error) {
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	nanLoads := func(ls []scenario.Load) {
		for i := range ls {
			if ls[i].Err != "" {
				ls[i].CPUPerPktUs, ls[i].LatP50Ms, ls[i].LatP99Ms = math.NaN(), math.NaN(), math.NaN()
			}
		}
	}
	nanLoads(r.Loads)
	for i := range r.Ramps {
		nanLoads(r.Ramps[i].Steps)
	}
	return &r, nil
}
