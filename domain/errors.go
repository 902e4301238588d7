// Package domain holds gongkai's pure domain: communities, matters through
// 四议两公开, rule sets, money and civil dates. It does no I/O; the clock and
// every referenced aggregate are passed in.
package domain

import (
	"errors"
	"strings"
)

// FieldError reports one invalid field of a command: which field and why, in
// English and Chinese. Field is a JSON path such as "data.votes.present".
type FieldError struct {
	Field    string `json:"field"`
	Reason   string `json:"reason"`
	ReasonZH string `json:"reason_zh"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Reason }

// ValidationError is a command whose input is not well formed: one or more
// fields are missing, malformed or out of range. Nothing was decided.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return "invalid command: " + strings.Join(parts, "; ")
}

// RuleError is a well-formed command that a domain rule forbids in the
// current state, such as a stage out of order. Code is a stable identifier.
type RuleError struct {
	Code     string
	Field    string
	Reason   string
	ReasonZH string
}

func (e *RuleError) Error() string { return "rule " + e.Code + ": " + e.Reason }

// NotFoundError reports a referenced aggregate that does not exist.
type NotFoundError struct {
	What string
	ID   string
}

func (e *NotFoundError) Error() string { return e.What + " " + e.ID + " not found" }

// fieldErrors collects field errors while a command is validated.
type fieldErrors []FieldError

func (fe *fieldErrors) add(field, reason, reasonZH string) {
	*fe = append(*fe, FieldError{Field: field, Reason: reason, ReasonZH: reasonZH})
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	return &ValidationError{Fields: fe}
}

// AsValidation returns the field errors of err, if it is a ValidationError.
func AsValidation(err error) ([]FieldError, bool) {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Fields, true
	}
	return nil, false
}
