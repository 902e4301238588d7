package web

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.mux.Handle("GET /metrics", newMetricsHandler(s))

	s.mux.HandleFunc("POST /api/v1/communities/{community}/commands", s.handleCommand)
	s.mux.HandleFunc("POST /api/v1/communities/{community}/commands:batch", s.handleBatch)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/board", s.handleBoardJSON)
	s.mux.HandleFunc("POST /api/v1/tokens", s.handleCreateToken)
	s.mux.HandleFunc("DELETE /api/v1/communities/{community}/tokens/{id}", s.handleRevokeToken)
	s.mux.HandleFunc("GET /api/v1/log/checkpoint", s.handleCheckpoint)
	s.mux.HandleFunc("GET /api/v1/log/key", s.handleLogKey)
	s.mux.HandleFunc("GET /api/v1/log/inclusion", s.handleInclusion)
	s.mux.HandleFunc("GET /api/v1/log/consistency", s.handleConsistency)
	s.mux.HandleFunc("GET /api/v1/log/bundle", s.handleBundle)
	s.mux.HandleFunc("GET /api/v1/log/segment", s.handleSegment)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/log/years/{year}", s.handleYearSegment)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/finance/years", s.handleYears)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/finance/trial-balance", s.handleTrialBalance)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/finance/ledger", s.handleLedger)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/finance/balance-sheet", s.handleBalanceSheet)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/finance/income-statement", s.handleIncomeStatement)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/finance/budget", s.handleBudgetExecution)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/finance/summary", s.handleSummary)

	s.mux.HandleFunc("GET /c/{community}", s.handleBoardPage)
	s.mux.HandleFunc("GET /c/{community}/finance", s.handleFinancePage)
	s.mux.HandleFunc("GET /c/{community}/finance/budget", s.handleBudgetPage)
	s.mux.HandleFunc("GET /c/{community}/finance/statements", s.handleStatementsPage)
	s.mux.HandleFunc("GET /{$}", s.handleIndex)
	s.mux.HandleFunc("/", s.handleNotFound)
}
