package web

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/http"

	"github.com/gongkai/gongkai/domain"
)

// handleRegisterWriter registers another writer key (administrator only):
// the instance that receives the request signs the registration with its
// own, already registered key.
func (s *Server) handleRegisterWriter(w http.ResponseWriter, r *http.Request) {
	p, ok := s.admin(w, r, "register writer keys", "登记写入密钥")
	if !ok {
		return
	}
	var body struct {
		PublicKey string `json:"public_key"`
		Label     string `json:"label"`
	}
	if !decodeBody(w, r, 64<<10, &body) {
		return
	}
	if fe, ok := checkLabel(body.Label); !ok {
		writeProblem(w, problemFor(&domain.ValidationError{Fields: []domain.FieldError{fe}}))
		return
	}
	if b, err := base64.StdEncoding.DecodeString(body.PublicKey); err != nil || len(b) != ed25519.PublicKeySize {
		writeProblem(w, problemFor(&domain.ValidationError{Fields: []domain.FieldError{{Field: "public_key",
			Reason: "an Ed25519 public key in standard base64 (gongkai writer keygen prints it)", ReasonZH: "须为标准 base64 编码的 Ed25519 公钥（gongkai writer keygen 会输出）"}}}))
		return
	}
	id, res, err := s.Commands.RegisterWriter(r.Context(), p.ID, body.PublicKey, body.Label)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status(res), map[string]any{"key_id": id, "label": body.Label, "stream_seq": res.Appends[0].Version})
}

// handleRevokeWriter revokes a writer key (administrator only): messages
// it signs from now on are not facts.
func (s *Server) handleRevokeWriter(w http.ResponseWriter, r *http.Request) {
	p, ok := s.admin(w, r, "revoke writer keys", "吊销写入密钥")
	if !ok {
		return
	}
	id := r.PathValue("id")
	res, err := s.Commands.RevokeWriter(r.Context(), p.ID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key_id": r.PathValue("id"), "revoked": true, "stream_seq": res.Appends[0].Version})
}
