package kms_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/testutil"
)

// TestTransactionNewRef replays kurento-client's explicit transaction: the
// pipeline is created and referenced by "newref:0" in the same batch.
func TestTransactionNewRef(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	c := s.raw(t)
	sid := rawSession(t, c)
	ops := []map[string]any{
		{"jsonrpc": "2.0", "id": 0, "method": "create", "params": map[string]any{"type": "MediaPipeline", "properties": map[string]any{}}},
		{"jsonrpc": "2.0", "id": 1, "method": "create", "params": map[string]any{"type": "PassThrough", "constructorParams": map[string]any{"mediaPipeline": "newref:0"}, "properties": map[string]any{}}},
		{"jsonrpc": "2.0", "id": 2, "method": "invoke", "params": map[string]any{"object": "newref:1", "operation": "setName", "operationParams": map[string]any{"name": "pt"}}},
		{"jsonrpc": "2.0", "id": 3, "method": "invoke", "params": map[string]any{"object": "newref:1", "operation": "getName"}},
	}
	r := testutil.Result(t, c.Call("transaction", map[string]any{"operations": ops, "sessionId": sid, "object": map[string]any{"_events": map[string]any{}}}))
	values := r["value"].([]any)
	if len(values) != 4 || r["sessionId"] != sid {
		t.Fatalf("transaction result = %v", r)
	}
	pipe := values[0].(map[string]any)["result"].(map[string]any)["value"].(string)
	pt := values[1].(map[string]any)["result"].(map[string]any)["value"].(string)
	if !strings.HasPrefix(pt, pipe+"/") || !strings.HasSuffix(pt, "_kurento.PassThrough") {
		t.Errorf("element id %q does not extend pipeline id %q", pt, pipe)
	}
	for i, v := range values {
		resp := v.(map[string]any)
		if resp["id"] != float64(i) || resp["jsonrpc"] != "2.0" {
			t.Errorf("op %d response = %v", i, resp)
		}
	}
	if name := values[3].(map[string]any)["result"].(map[string]any)["value"]; name != "pt" {
		t.Errorf("getName in transaction = %v", name)
	}

	// A failing operation stops the transaction; its error is reported.
	ops = []map[string]any{
		{"jsonrpc": "2.0", "id": 0, "method": "invoke", "params": map[string]any{"object": "nope", "operation": "getName"}},
		{"jsonrpc": "2.0", "id": 1, "method": "create", "params": map[string]any{"type": "MediaPipeline"}},
	}
	r = testutil.Result(t, c.Call("transaction", map[string]any{"operations": ops}))
	values = r["value"].([]any)
	if len(values) != 1 || values[0].(map[string]any)["error"].(map[string]any)["code"] != float64(40101) {
		t.Fatalf("failing transaction = %v", r)
	}
	// Empty transaction.
	if v := testutil.Result(t, c.Call("transaction", map[string]any{"operations": []any{}}))["value"].([]any); len(v) != 0 {
		t.Errorf("empty transaction = %v", v)
	}
}

// TestCascadingRelease: releasing a pipeline releases its elements, stops
// their events and fires ObjectDestroyed for each.
func TestCascadingRelease(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	c := s.raw(t)
	rawSession(t, c)
	testutil.Result(t, c.Call("subscribe", map[string]any{"object": "manager_ServerManager", "type": "ObjectDestroyed"}))
	p := create(t, c, "MediaPipeline", nil)
	a := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
	b := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
	children := testutil.Result(t, invoke(c, p, "getChildren", nil))["value"].([]any)
	if len(children) != 2 {
		t.Fatalf("children = %v", children)
	}
	testutil.Result(t, c.Call("release", map[string]any{"object": p}))
	got := map[string]bool{}
	for _, ev := range events(c, 3, 10*time.Second) {
		got[ev["data"].(map[string]any)["objectId"].(string)] = true
	}
	for _, id := range []string{p, a, b} {
		if !got[id] {
			t.Errorf("no ObjectDestroyed for %s", id)
		}
		e := testutil.ErrorOf(t, c.Call("describe", map[string]any{"object": id}))
		if e["code"] != float64(40101) {
			t.Errorf("describe %s after release = %v", id, e)
		}
	}
	// kurento-client unsubscribes after releasing: it must succeed.
	testutil.Result(t, c.Call("unsubscribe", map[string]any{"object": a, "subscription": "whatever"}))
}

// TestConnectSemantics: an untyped connect makes three connections (three
// ElementConnected); a new source for a sink pad replaces the old one.
func TestConnectSemantics(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	c := s.raw(t)
	rawSession(t, c)
	p := create(t, c, "MediaPipeline", nil)
	a := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
	b := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
	sink := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
	for _, id := range []string{a, b} {
		for _, ev := range []string{"ElementConnected", "ElementDisconnected"} {
			testutil.Result(t, c.Call("subscribe", map[string]any{"object": id, "type": ev}))
		}
	}
	testutil.Result(t, invoke(c, a, "connect", map[string]any{"sink": sink}))
	evs := events(c, 3, 10*time.Second)
	var types []string
	for _, ev := range evs {
		if ev["type"] != "ElementConnected" || ev["object"] != a {
			t.Fatalf("unexpected event %v", ev)
		}
		d := ev["data"].(map[string]any)
		if d["sourceMediaDescription"] != "default" || d["sinkMediaDescription"] != "default" || d["sink"] != sink {
			t.Errorf("event data %v", d)
		}
		types = append(types, d["mediaType"].(string))
	}
	if strings.Join(types, ",") != "AUDIO,VIDEO,DATA" {
		t.Fatalf("untyped connect events = %v", types)
	}
	// b takes over the VIDEO sink pad: a is disconnected for VIDEO only.
	testutil.Result(t, invoke(c, b, "connect", map[string]any{"sink": sink, "mediaType": "VIDEO"}))
	evs = events(c, 2, 10*time.Second)
	if len(evs) != 2 || evs[0]["type"] != "ElementDisconnected" || evs[0]["object"] != a ||
		evs[1]["type"] != "ElementConnected" || evs[1]["object"] != b {
		t.Fatalf("replacement events = %v", evs)
	}
	conns := testutil.Result(t, invoke(c, sink, "getSourceConnections", map[string]any{"mediaType": "VIDEO"}))["value"].([]any)
	if len(conns) != 1 || conns[0].(map[string]any)["source"] != b || conns[0].(map[string]any)["__type__"] != "ElementConnectionData" {
		t.Fatalf("VIDEO sources of sink = %v", conns)
	}
	all := testutil.Result(t, invoke(c, sink, "getSourceConnections", nil))["value"].([]any)
	if len(all) != 3 {
		t.Fatalf("all sources of sink = %v", all)
	}
	sinks := testutil.Result(t, invoke(c, a, "getSinkConnections", nil))["value"].([]any)
	if len(sinks) != 2 {
		t.Fatalf("a still feeds %v, want AUDIO and DATA", sinks)
	}
	// disconnect of a connection that does not exist is harmless.
	testutil.Result(t, invoke(c, a, "disconnect", map[string]any{"sink": sink, "mediaType": "VIDEO"}))
	testutil.Result(t, invoke(c, a, "disconnect", map[string]any{"sink": sink}))
	if n := len(testutil.Result(t, invoke(c, sink, "getSourceConnections", nil))["value"].([]any)); n != 1 {
		t.Fatalf("after disconnect sink has %d sources, want 1 (b VIDEO)", n)
	}
}

// TestObjectProperties covers MediaObject properties, tags in events and
// the ServerManager's getters.
func TestObjectProperties(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	c := s.raw(t)
	rawSession(t, c)
	p := create(t, c, "MediaPipeline", nil)
	a := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
	b := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
	get := func(obj, prop string) any {
		return testutil.Result(t, invoke(c, obj, "get"+prop, nil))["value"]
	}
	if get(a, "Name") != a || get(a, "MediaPipeline") != p || get(a, "Parent") != p || get(a, "Id") != a {
		t.Error("default name/pipeline/parent/id wrong")
	}
	if get(p, "Parent") != nil || get(p, "MediaPipeline") != p {
		t.Error("pipeline parent/mediaPipeline wrong")
	}
	if ct, _ := get(a, "CreationTime").(float64); time.Since(time.Unix(int64(ct), 0)) > time.Minute {
		t.Errorf("creationTime = %v", ct)
	}
	if get(a, "SendTagsInEvents") != false || get(a, "EncoderBitrate") != float64(300000) {
		t.Error("property defaults wrong")
	}
	testutil.Result(t, invoke(c, a, "addTag", map[string]any{"key": "room", "value": "r1"}))
	testutil.Result(t, invoke(c, a, "addTag", map[string]any{"key": "room", "value": "r2"}))
	tags := get(a, "Tags").([]any)
	if len(tags) != 1 || tags[0].(map[string]any)["value"] != "r2" || tags[0].(map[string]any)["__type__"] != "Tag" {
		t.Fatalf("tags = %v", tags)
	}
	testutil.Result(t, invoke(c, a, "setSendTagsInEvents", map[string]any{"sendTagsInEvents": true}))
	testutil.Result(t, c.Call("subscribe", map[string]any{"object": a, "type": "ElementConnected"}))
	testutil.Result(t, invoke(c, a, "connect", map[string]any{"sink": b, "mediaType": "AUDIO"}))
	ev := events(c, 1, 10*time.Second)
	if len(ev) != 1 {
		t.Fatal("no event")
	}
	evTags := ev[0]["data"].(map[string]any)["tags"].([]any)
	if len(evTags) != 1 || evTags[0].(map[string]any)["key"] != "room" {
		t.Errorf("event tags = %v", evTags)
	}
	testutil.Result(t, invoke(c, a, "removeTag", map[string]any{"key": "room"}))
	testutil.Result(t, invoke(c, a, "removeTag", map[string]any{"key": "room"}))

	info := testutil.Result(t, invoke(c, "manager_ServerManager", "getInfo", nil))["value"].(map[string]any)
	var names []string
	for _, m := range info["modules"].([]any) {
		names = append(names, m.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "core,elements,filters,chroma" || info["__type__"] != "ServerInfo" {
		t.Errorf("getInfo = %v", info)
	}
	if n := get("manager_ServerManager", "CpuCount").(float64); n < 1 {
		t.Errorf("getCpuCount = %v", n)
	}
	if kib := get("manager_ServerManager", "UsedMemory").(float64); kib < 1000 {
		t.Errorf("getUsedMemory = %v KiB", kib)
	}
	cpu := testutil.Result(t, invoke(c, "manager_ServerManager", "getUsedCpu", map[string]any{"interval": 50}))["value"].(float64)
	if cpu < 0 || cpu > 100 {
		t.Errorf("getUsedCpu = %v", cpu)
	}
	kmd := testutil.Result(t, invoke(c, "manager_ServerManager", "getKmd", map[string]any{"moduleName": "core"}))["value"].(string)
	var parsed map[string]any
	if err := json.Unmarshal([]byte(kmd), &parsed); err != nil || parsed["name"] != "core" {
		t.Errorf("getKmd core = %.200s (%v)", kmd, err)
	}
	dot := testutil.Result(t, invoke(c, p, "getGstreamerDot", nil))["value"].(string)
	if !strings.Contains(dot, "digraph") || !strings.Contains(dot, "AUDIO") {
		t.Errorf("dot = %s", dot)
	}
}
