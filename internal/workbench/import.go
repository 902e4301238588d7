package workbench

import "net/http"

// TODO(importer): the import page, once internal/importer exists.
func (w *Workbench) handleImport(rw http.ResponseWriter, r *http.Request, s *session) {
	w.errorPage(rw, r, s, http.StatusNotFound, txt{"导入功能尚未开放。", "Import is not available yet."})
}

func (w *Workbench) handleTemplate(rw http.ResponseWriter, r *http.Request, s *session) {
	w.errorPage(rw, r, s, http.StatusNotFound, txt{"导入功能尚未开放。", "Import is not available yet."})
}
