package pinspec_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pi-conformance/suite/fixtures/openapi"
	"github.com/pi-conformance/suite/harness/pinspec"
)

// The committed pinned document must be exactly what the generator makes from the linked stripe-mock module.
func TestPinnedDocumentIsUpToDate(t *testing.T) {
	out, err := pinspec.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Document, openapi.Document) {
		t.Errorf("fixtures/openapi/%s is stale; run: go run ./harness/cmd/pinspec", pinspec.DocumentFile)
	}
	if !bytes.Equal(out.Provenance, openapi.Provenance) {
		t.Errorf("fixtures/openapi/%s is stale; run: go run ./harness/cmd/pinspec\n%s", pinspec.ProvenanceFile, out.Provenance)
	}
	var prov pinspec.Provenance
	if err := json.Unmarshal(openapi.Provenance, &prov); err != nil {
		t.Fatal(err)
	}
	if prov.ModuleVersion == "" || prov.ModuleVersion == "unknown" || !strings.HasPrefix(prov.ModuleVersion, "v") {
		t.Errorf("provenance module version = %q", prov.ModuleVersion)
	}
}

func TestProseIsDroppedStructureKept(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	pi := schemas["payment_intent"].(map[string]any)
	if _, ok := pi["description"]; ok {
		t.Error("payment_intent keeps its prose description")
	}
	props := pi["properties"].(map[string]any)
	if _, ok := props["description"]; !ok {
		t.Error("the payment_intent property named description was dropped with the prose")
	}
	status := props["status"].(map[string]any)
	if len(status["enum"].([]any)) != 7 {
		t.Errorf("status enum = %v", status["enum"])
	}
	if req := pi["required"].([]any); len(req) != 5 {
		t.Errorf("required = %v", req)
	}
	// latest_charge stays expandable to a full charge (the suite asks for it); customer is collapsed to its id or
	// a generic expanded object.
	lc := props["latest_charge"].(map[string]any)
	if _, ok := lc["x-expansionResources"]; !ok || !strings.Contains(fmt.Sprint(lc["anyOf"]), "#/components/schemas/charge") {
		t.Errorf("latest_charge lost its expansion: %v", lc)
	}
	cust := props["customer"].(map[string]any)
	if strings.Contains(fmt.Sprint(cust), "$ref") || cust["nullable"] != true || len(cust["anyOf"].([]any)) != 2 {
		t.Errorf("customer not collapsed to a nullable id string or generic object: %v", cust)
	}
	if strings.Contains(string(openapi.Document), "Stripe Dev Platform") {
		t.Error("info.contact survived")
	}
}

func TestGenerateRejectsBrokenSource(t *testing.T) {
	if _, err := pinspec.GenerateFrom([]byte(`{`), "v0"); err == nil {
		t.Error("truncated source accepted")
	}
	if _, err := pinspec.GenerateFrom([]byte(`{"paths":{},"components":{"schemas":{}}}`), "v0"); err == nil {
		t.Error("source without the pinned operations accepted")
	}
}

// The events operations are pinned, and an event's data.object stays the spec's free object (any object type fits).
func TestEventsAndWebhookEndpointsArePinned(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatal(err)
	}
	paths := doc["paths"].(map[string]any)
	for _, op := range []string{"GET /v1/events", "GET /v1/events/{id}", "POST /v1/webhook_endpoints",
		"GET /v1/webhook_endpoints", "GET /v1/webhook_endpoints/{webhook_endpoint}", "DELETE /v1/webhook_endpoints/{webhook_endpoint}"} {
		method, path, _ := strings.Cut(op, " ")
		item, _ := paths[path].(map[string]any)
		if _, ok := item[strings.ToLower(method)]; !ok {
			t.Errorf("%s is not in the pinned document", op)
		}
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range []string{"event", "webhook_endpoint", "deleted_webhook_endpoint", "notification_event_request"} {
		if schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
	data := schemas["notification_event_data"].(map[string]any)["properties"].(map[string]any)
	obj := data["object"].(map[string]any)
	if obj["type"] != "object" || obj["additionalProperties"] != true || len(obj) != 2 {
		t.Errorf("event data.object is no longer a free object: %v", obj)
	}
}
