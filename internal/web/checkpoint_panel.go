package web

import (
	"encoding/hex"
	"html/template"
	"strings"
	"time"

	"github.com/gongkai/gongkai/internal/transparency"
)

// checkpointPanel is what a page shows of the latest checkpoint.
type checkpointPanel struct {
	Size       uint64
	RootPrefix string
	Signers    []string
	At         time.Time
	URL        string       // absolute with Deps.PublicURL, else relative
	QR         template.URL // a data: URL of a PNG QR code of URL; empty without Deps.PublicURL
}

// checkpointOf returns the panel for the latest checkpoint, or nil.
func (s *Server) checkpointOf() *checkpointPanel {
	if s.TLog == nil {
		return nil
	}
	signed, cp, at := s.TLog.Latest()
	if signed == nil {
		return nil
	}
	p := &checkpointPanel{Size: cp.Size, RootPrefix: hex.EncodeToString(cp.Hash)[:16], At: at.UTC()}
	for _, line := range transparency.SignatureLines(signed) {
		if f := strings.Fields(line); len(f) >= 2 {
			p.Signers = append(p.Signers, f[1])
		}
	}
	// The link is absolute, and has a QR code, only with the configured
	// public URL: the request's Host header is the client's to choose.
	p.URL = s.PublicURL + "/api/v1/log/checkpoint"
	if s.PublicURL != "" {
		p.QR = s.cache.qrCode(p.URL)
	}
	return p
}
