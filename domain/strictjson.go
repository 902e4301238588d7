package domain

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// ErrNotUTF8 is wrapped by the *JSONError of input that is not valid UTF-8:
// invalid bytes, overlong encodings, encoded surrogates, or an escaped lone
// surrogate such as "\ud800".
var ErrNotUTF8 = errors.New("not valid UTF-8")

// JSONError is input that DecodeJSON refuses.
type JSONError struct {
	// Path names the member at fault, relative to the decoded value:
	// "title", "votes.present", "lines[2].debit". It is empty when the
	// input as a whole is at fault (not JSON, not UTF-8, trailing data).
	Path string
	// Reason and ReasonZH say what is wrong, in English and Chinese.
	Reason, ReasonZH string
	// Err is the underlying error, if any (ErrNotUTF8, ErrAmount, ErrDate).
	Err error
}

func (e *JSONError) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return e.Path + ": " + e.Reason
}

func (e *JSONError) Unwrap() error { return e.Err }

// maxJSONDepth is the deepest nesting of objects and arrays DecodeJSON
// accepts; no request comes near it.
const maxJSONDepth = 64

// DecodeJSON decodes exactly one JSON value from data into v, a non-nil
// pointer, more strictly than encoding/json, which it uses for the
// assignment:
//
//   - data must be valid UTF-8 and hold no escaped lone surrogate
//     ("\ud800", "\udc00"), where encoding/json would silently put U+FFFD;
//   - a member name must equal a field's JSON name exactly (encoding/json
//     also fills "title" from "TITLE" or "Title") and appear only once in
//     its object; an unknown member is an error;
//   - every value must have its field's JSON type: a string for a string,
//     a whole number in range for an integer, and so on;
//   - a value whose type has its own UnmarshalJSON (Fen, Date, Yuan) is
//     checked where it stands, so that its error names it;
//   - nothing but white space may follow the value.
//
// The ",string" tag option is not supported. On any error DecodeJSON
// returns a *JSONError and leaves v untouched; on success v holds the
// decoded value (decoded into a fresh value of its type, not merged).
func DecodeJSON(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("DecodeJSON: want a non-nil pointer, got %T", v)
	}
	if err := checkUTF8(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec}
	if err := w.value(rv.Type().Elem(), "", 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return &JSONError{Reason: "unexpected data after the JSON value", ReasonZH: "JSON 值之后有多余内容"}
	}
	fresh := reflect.New(rv.Type().Elem())
	if err := json.Unmarshal(data, fresh.Interface()); err != nil {
		// The walk has checked what encoding/json checks; this is a
		// type the walk does not know, such as a TextUnmarshaler.
		je := &JSONError{Reason: err.Error(), ReasonZH: "JSON 格式或字段类型错误", Err: err}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			je.Path = te.Field
		}
		return je
	}
	rv.Elem().Set(fresh.Elem())
	return nil
}

// checkUTF8 refuses input that is not valid UTF-8 or that escapes a lone
// surrogate inside a string. utf8.Valid already refuses overlong encodings
// and surrogates encoded as UTF-8 bytes.
func checkUTF8(data []byte) error {
	if !utf8.Valid(data) {
		at := 0
		for at < len(data) {
			r, n := utf8.DecodeRune(data[at:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			at += n
		}
		return &JSONError{Err: ErrNotUTF8,
			Reason:   fmt.Sprintf("the body is not valid UTF-8 (invalid or overlong byte sequence at byte %d)", at),
			ReasonZH: fmt.Sprintf("内容不是有效的 UTF-8 编码（第 %d 字节起为无效或超长编码）", at)}
	}
	lone := func(at int) error {
		return &JSONError{Err: ErrNotUTF8,
			Reason:   fmt.Sprintf("the escape %s at byte %d is a lone UTF-16 surrogate, not a character", data[at:at+6], at),
			ReasonZH: fmt.Sprintf("第 %d 字节的转义 %s 是单独的 UTF-16 代理项，不是有效字符", at, data[at:at+6])}
	}
	in := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case !in:
			in = c == '"'
		case c == '"':
			in = false
		case c == '\\':
			r, ok := escapedRune(data, i)
			if !ok {
				i++ // a two-character escape, or a syntax error found later
				continue
			}
			switch {
			case r >= 0xd800 && r < 0xdc00: // high surrogate: a low one must follow
				if lo, ok := escapedRune(data, i+6); !ok || lo < 0xdc00 || lo > 0xdfff {
					return lone(i)
				}
				i += 11
			case r >= 0xdc00 && r <= 0xdfff:
				return lone(i)
			default:
				i += 5
			}
		}
	}
	return nil
}

// escapedRune reads a \uXXXX escape at data[i:].
func escapedRune(data []byte, i int) (rune, bool) {
	if i+6 > len(data) || data[i] != '\\' || data[i+1] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(data[i+2:i+6]), 16, 32)
	return rune(n), err == nil
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// walker reads JSON tokens alongside the Go type they will fill.
type walker struct {
	dec *json.Decoder
}

// value checks the next value against t (nil: anything goes).
func (w *walker) value(t reflect.Type, path string, depth int) error {
	if depth > maxJSONDepth {
		return &JSONError{Path: path, Reason: "nested too deeply", ReasonZH: "嵌套层次过深"}
	}
	if t != nil && (t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)) {
		return w.custom(t, path)
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && t.Kind() == reflect.Interface {
		t = nil
	}
	tok, err := w.dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			return w.object(t, path, depth)
		}
		return w.array(t, path, depth)
	case nil:
		return nil
	case string:
		if t == nil || t.Kind() == reflect.String || reflect.PointerTo(t).Implements(textUnmarshalerType) ||
			(t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8) {
			return nil
		}
	case bool:
		if t == nil || t.Kind() == reflect.Bool {
			return nil
		}
	case json.Number:
		if numberFits(t, string(tok)) {
			return nil
		}
	}
	return typeError(t, path)
}

// custom hands a value to its type's own UnmarshalJSON, on a fresh value.
func (w *walker) custom(t reflect.Type, path string) error {
	var raw json.RawMessage
	if err := w.dec.Decode(&raw); err != nil {
		return syntaxError(err)
	}
	var u json.Unmarshaler
	if t.Kind() == reflect.Pointer {
		u, _ = reflect.New(t.Elem()).Interface().(json.Unmarshaler)
	} else {
		u, _ = reflect.New(t).Interface().(json.Unmarshaler)
	}
	if u == nil {
		return nil
	}
	if t.Kind() == reflect.Pointer && string(raw) == "null" {
		return nil // encoding/json sets the pointer to nil
	}
	if err := u.UnmarshalJSON(raw); err != nil {
		zh := "格式错误"
		switch {
		case errors.Is(err, ErrAmount):
			zh = "金额格式错误：须为字符串形式的非负数，最多两位小数，使用半角数字，如 \"1234.56\""
		case errors.Is(err, ErrDate):
			zh = "日期格式错误：须为真实日期 YYYY-MM-DD"
		}
		return &JSONError{Path: path, Reason: err.Error(), ReasonZH: zh, Err: err}
	}
	return nil
}

func (w *walker) object(t reflect.Type, path string, depth int) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		fields = jsonFields(t)
	case t.Kind() == reflect.Map:
		elem = t.Elem()
	default:
		return typeError(t, path)
	}
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		name, _ := tok.(string)
		p := name
		if path != "" {
			p = path + "." + name
		}
		if seen[name] {
			return &JSONError{Path: p, Reason: "member given twice", ReasonZH: "字段重复出现"}
		}
		seen[name] = true
		ft := elem
		if fields != nil {
			var ok bool
			if ft, ok = fields[name]; !ok {
				return &JSONError{Path: p, Reason: "unknown field (names are case-sensitive)", ReasonZH: "未知字段（字段名区分大小写）"}
			}
		} else if t != nil && t.Kind() == reflect.Map && !mapKeyFits(t.Key(), name) {
			return &JSONError{Path: p, Reason: "invalid key", ReasonZH: "键无效"}
		}
		if err := w.value(ft, p, depth+1); err != nil {
			return err
		}
	}
	_, err := w.dec.Token() // '}'
	return syntaxError(err)
}

func (w *walker) array(t reflect.Type, path string, depth int) error {
	var elem reflect.Type
	if t != nil {
		if k := t.Kind(); k != reflect.Slice && k != reflect.Array {
			return typeError(t, path)
		}
		elem = t.Elem()
	}
	for i := 0; w.dec.More(); i++ {
		if err := w.value(elem, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
			return err
		}
	}
	_, err := w.dec.Token() // ']'
	return syntaxError(err)
}

// syntaxError reports malformed JSON, which is the input's fault as a
// whole rather than one member's.
func syntaxError(err error) error {
	if err == nil {
		return nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &JSONError{Reason: "malformed JSON: " + err.Error(), ReasonZH: "JSON 格式错误", Err: err}
}

// numberFits reports whether a JSON number can fill a value of type t.
func numberFits(t reflect.Type, n string) bool {
	if t == nil {
		return true
	}
	var err error
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err = strconv.ParseInt(n, 10, t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		_, err = strconv.ParseUint(n, 10, t.Bits())
	case reflect.Float32, reflect.Float64:
		_, err = strconv.ParseFloat(n, t.Bits())
	default:
		return false
	}
	return err == nil
}

func mapKeyFits(t reflect.Type, key string) bool {
	switch t.Kind() {
	case reflect.String:
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return numberFits(t, key)
	}
	return reflect.PointerTo(t).Implements(textUnmarshalerType)
}

func typeError(t reflect.Type, path string) error {
	en, zh := "of another type", "类型错误"
	switch t.Kind() {
	case reflect.String:
		en, zh = "a string", "字符串"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		en, zh = "a whole number in range", "范围内的整数"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		en, zh = "a whole number, not negative, in range", "范围内的非负整数"
	case reflect.Float32, reflect.Float64:
		en, zh = "a number", "数字"
	case reflect.Bool:
		en, zh = "true or false", "true 或 false"
	case reflect.Struct, reflect.Map:
		en, zh = "an object", "JSON 对象"
	case reflect.Slice, reflect.Array:
		en, zh = "a list", "JSON 数组"
	}
	return &JSONError{Path: path, Reason: "must be " + en, ReasonZH: "类型错误，应为" + zh}
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields returns the JSON names of a struct's fields and their types,
// by encoding/json's rules: exported fields, the name from the json tag or
// else the Go name, "-" skipped, the fields of untagged embedded structs
// promoted unless a shallower field has the name, and at equal depth a
// tagged field winning over untagged ones (two of a kind: neither).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	type field struct {
		typ    reflect.Type
		depth  int
		tagged bool
		n      int // fields at this depth with this name and taggedness
	}
	best := map[string]*field{}
	var collect func(t reflect.Type, depth int, visiting map[reflect.Type]bool)
	collect = func(t reflect.Type, depth int, visiting map[reflect.Type]bool) {
		if visiting[t] {
			return
		}
		visiting[t] = true
		defer delete(visiting, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				collect(ft, depth+1, visiting)
				continue
			}
			if !sf.IsExported() {
				continue
			}
			tagged := name != ""
			if !tagged {
				name = sf.Name
			}
			f, ok := best[name]
			switch {
			case !ok || depth < f.depth || (depth == f.depth && tagged && !f.tagged):
				best[name] = &field{typ: sf.Type, depth: depth, tagged: tagged, n: 1}
			case depth == f.depth && tagged == f.tagged:
				f.n++
			}
		}
	}
	collect(t, 0, map[reflect.Type]bool{})
	m := map[string]reflect.Type{}
	for name, f := range best {
		if f.n == 1 {
			m[name] = f.typ
		}
	}
	fieldCache.Store(t, m)
	return m
}
