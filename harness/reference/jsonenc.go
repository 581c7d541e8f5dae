package reference

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// marshal renders a response body the way Stripe does: pretty-printed with
// two-space indentation, "id" and "object" first and the other keys in
// alphabetical order, no HTML escaping.
func marshal(v any) []byte {
	var buf bytes.Buffer
	writeValue(&buf, v, "")
	buf.WriteByte('\n')
	return buf.Bytes()
}

func writeValue(buf *bytes.Buffer, v any, indent string) {
	switch x := v.(type) {
	case map[string]any:
		writeObject(buf, x, indent)
	case []any:
		if len(x) == 0 {
			buf.WriteString("[]")
			return
		}
		inner := indent + "  "
		buf.WriteString("[\n")
		for i, e := range x {
			buf.WriteString(inner)
			writeValue(buf, e, inner)
			if i < len(x)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent)
		buf.WriteByte(']')
	default:
		var tmp bytes.Buffer
		enc := json.NewEncoder(&tmp)
		enc.SetEscapeHTML(false)
		enc.SetIndent(indent, "  ")
		if err := enc.Encode(x); err != nil {
			panic(fmt.Sprintf("reference: cannot marshal %T: %v", x, err))
		}
		buf.Write(bytes.TrimSuffix(tmp.Bytes(), []byte("\n")))
	}
}

func writeObject(buf *bytes.Buffer, m map[string]any, indent string) {
	if len(m) == 0 {
		buf.WriteString("{}")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch k {
		case "id":
			return 0
		case "object":
			return 1
		}
		return 2
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	inner := indent + "  "
	buf.WriteString("{\n")
	for i, k := range keys {
		buf.WriteString(inner)
		writeValue(buf, k, inner)
		buf.WriteString(": ")
		writeValue(buf, m[k], inner)
		if i < len(keys)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString(indent)
	buf.WriteByte('}')
}
