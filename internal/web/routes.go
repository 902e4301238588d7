package web

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.HandleFunc("GET /readyz", s.handleReadyz)

	s.mux.HandleFunc("POST /api/v1/communities/{community}/commands", s.handleCommand)
	s.mux.HandleFunc("POST /api/v1/communities/{community}/commands:batch", s.handleBatch)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/board", s.handleBoardJSON)
	s.mux.HandleFunc("POST /api/v1/tokens", s.handleCreateToken)

	s.mux.HandleFunc("GET /c/{community}", s.handleBoardPage)
	s.mux.HandleFunc("GET /{$}", s.handleIndex)
	s.mux.HandleFunc("/", s.handleNotFound)
}
