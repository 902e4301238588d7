// Package workbench is the clerk's workbench (工作台): server-rendered HTML
// forms, usable on a 360 px phone without JavaScript, for every command a
// clerk, an accountant or an administrator records — a community's
// registration, officers and rule set; each stage of a matter through
// 四议两公开 and the correction of a recorded stage; budgets and funds
// received; vouchers, reversals, corrections, balance checks and closings;
// disclosures (公开), drafted from the books by the server, reviewed by the
// supervision committee and published (disclosures.go) — and an import
// page for spreadsheets.
//
// Every form goes through the same steps. The clerk types what they have
// in front of them ("6,800", "2026年11月12日", "12人"; package entry reads
// it); the workbench turns it into one command, validates it with the domain
// and decides it against the current state (no I/O: domain.Command.Decide),
// and shows what it understood — amounts in figures and in 大写, dates as
// 2026年11月12日, votes and their outcome — with the buttons 确认记录 and
// 返回修改. Only the confirmation's POST hands the command to the command
// service — parsed and validated again from the hidden fields, but decided
// by the service alone, which answers a repeated submission with the
// original result — with the form's idempotency key (made when the form is
// first shown, so that a double submit records once) and the aggregate
// version the form was filled against (If-Match). The answer is a 303 to a receipt
// page whose address carries what it shows, signed for the session.
//
// The workbench keeps no state between requests: whatever a form needs
// travels in its hidden fields and is checked again on every POST.
package workbench

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/projections"
)

// Commands is the command service (internal/command.Service satisfies it).
type Commands interface {
	Execute(ctx context.Context, req command.Request) (command.Result, error)
	State(community, aggregateType, id string) (domain.State, uint64) // copy of current state and version (0: none)
}

// Deps is what the workbench needs from the rest of gongkai.
type Deps struct {
	Commands Commands
	// SignedIn returns the signed-in person and the CSRF token of the session; ok is false without a valid session.
	SignedIn func(r *http.Request) (actor domain.Actor, csrf string, ok bool)
	// CheckCSRF reports whether a form's token belongs to the request's session.
	CheckCSRF func(r *http.Request, token string) bool
	Board     projections.Board   // to list a community's matters
	Finance   projections.Finance // budgets, vouchers, balances if you need them
	// Head returns the log's last stream sequence: a disclosure's content
	// is drafted once Finance has applied it (disclose.Generator). Without
	// Head or Finance no disclosure can be drafted or published.
	Head func(ctx context.Context) (uint64, error)
	// ProofURL returns the link of the inclusion proof of stream sequence seq once a signed checkpoint covers it, "" before.
	ProofURL func(ctx context.Context, seq uint64) string
	// Communities lists the registered community ids (for the actor's list of desks).
	Communities func(ctx context.Context) []string
	Now         func() time.Time
	NewID       func() string
	Log         *slog.Logger
	// Secure is set when the site is served over https. The workbench
	// sets no cookie; it is kept for the pages' links and future use.
	Secure bool
}

// Workbench serves the workbench's pages. Register adds its routes to a
// mux; ServeHTTP serves them on its own mux.
type Workbench struct {
	d     Deps
	mux   *http.ServeMux
	forms map[string]*formDef
}

// Body limits of the workbench's POSTs.
const (
	maxFormBody   = 1 << 20  // a form
	maxUploadBody = 16 << 20 // an import upload
)

// New returns the workbench. Deps.Commands, SignedIn and CheckCSRF are
// required; Now, NewID and Log default to time.Now, a random id and a
// discarding logger.
func New(d Deps) *Workbench {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.NewID == nil {
		d.NewID = randomID
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.ProofURL == nil {
		d.ProofURL = func(context.Context, uint64) string { return "" }
	}
	if d.Communities == nil {
		d.Communities = func(context.Context) []string { return nil }
	}
	w := &Workbench{d: d, forms: map[string]*formDef{}}
	for _, f := range allForms() {
		w.forms[f.name] = f
	}
	w.mux = http.NewServeMux()
	w.Register(w.mux)
	return w
}

// Register adds the workbench's routes to mux:
//
//	GET      /desk                                     the actor's desks
//	GET,POST /desk/new-community                       register a community (administrators)
//	GET      /c/{community}/desk                       a community's workbench
//	GET      /c/{community}/desk/receipt               a receipt, after recording
//	GET,POST /c/{community}/desk/import                spreadsheet import
//	GET      /c/{community}/desk/import/template/{kind}.xlsx
//	GET,POST /c/{community}/desk/{form}                one form per command
func (w *Workbench) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /desk", w.page(w.handleDesks))
	mux.HandleFunc("GET /desk/new-community", w.page(w.handleNewCommunity))
	mux.HandleFunc("POST /desk/new-community", w.page(w.handleNewCommunity))
	mux.HandleFunc("GET /c/{community}/desk", w.page(w.handleHome))
	mux.HandleFunc("GET /c/{community}/desk/receipt", w.page(w.handleReceipt))
	mux.HandleFunc("GET /c/{community}/desk/import", w.page(w.handleImport))
	mux.HandleFunc("POST /c/{community}/desk/import", w.page(w.handleImport))
	mux.HandleFunc("GET /c/{community}/desk/import/template/{file}", w.page(w.handleTemplate))
	mux.HandleFunc("GET /c/{community}/desk/{form}", w.page(w.handleForm))
	mux.HandleFunc("POST /c/{community}/desk/{form}", w.page(w.handleForm))
}

func (w *Workbench) ServeHTTP(rw http.ResponseWriter, r *http.Request) { w.mux.ServeHTTP(rw, r) }

// session is the signed-in person of a request.
type session struct {
	actor domain.Actor
	csrf  string
	lang  string
}

// csp is the Content-Security-Policy of every workbench page.
const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// page wraps a handler: it sets the headers of every workbench reply,
// sends a request without a session to the login page, and refuses a POST
// whose CSRF token does not belong to the session (403, nothing recorded).
func (w *Workbench) page(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		hd := rw.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		s := &session{lang: pageLang(r)}
		actor, csrf, ok := w.d.SignedIn(r)
		if !ok {
			next := r.URL.Path
			if r.Method == http.MethodGet && r.URL.RawQuery != "" {
				next += "?" + r.URL.RawQuery
			}
			http.Redirect(rw, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		s.actor, s.csrf = actor, csrf
		if r.Method == http.MethodPost {
			limit := int64(maxFormBody)
			if isMultipart(r) {
				limit = maxUploadBody
			}
			r.Body = http.MaxBytesReader(rw, r.Body, limit)
			var err error
			if isMultipart(r) {
				err = r.ParseMultipartForm(maxUploadBody)
			} else {
				err = r.ParseForm()
			}
			if err != nil {
				w.errorPage(rw, r, s, http.StatusBadRequest, txt{"表单无法读取（可能过大），未记录任何内容。", "The form could not be read (it may be too large); nothing was recorded."})
				return
			}
			if !w.d.CheckCSRF(r, r.PostFormValue("csrf")) {
				w.errorPage(rw, r, s, http.StatusForbidden, txt{"表单已过期或不是从本站提交的（安全校验未通过），未记录任何内容。请重新打开表单再提交。",
					"The form has expired or was not sent from this site (the security check failed); nothing was recorded. Open the form again and resubmit."})
				return
			}
		}
		h(rw, r, s)
	}
}

func isMultipart(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return len(ct) >= 19 && ct[:19] == "multipart/form-data"
}

func pageLang(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "zh"
}

// txt is a text in Chinese and English.
type txt struct{ ZH, EN string }

func (t txt) in(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.ZH
}

// link returns path with the page language kept.
func link(lang, path string) string {
	if lang != "en" {
		return path
	}
	if containsByte(path, '?') {
		return path + "&lang=en"
	}
	return path + "?lang=en"
}

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}
