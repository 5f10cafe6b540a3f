-- 0034: planner statistics for the large tables, fixed (issue 14).
--
-- The app never runs ANALYZE (over a million rows it takes seconds, and real Spin has no
-- background work to run it in), so SQLite planned every list, board and report with its
-- built-in guesses, which assume ten rows per indexed value. With those a manager's deals
-- board filtered by currency took 190 ms instead of 4: each column walked every deal of its
-- stage through (stage, id) testing `opened`, where the opened ones have an index of their own.
-- These rows are what ANALYZE measured on the benches' million-row databases (`cargo xtask
-- bench records` and `bench deals` with CRM_BENCH_ANALYZE=1), the shape every plan was tuned
-- for, so a new database is planned as a large one from its first request, as SQLite's docs
-- advise for stable plans. Every index of these tables must have its row: an index without one
-- would look like ten rows per value beside the others (crates/core/tests/planner_statistics.rs).
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1 WHERE tbl IN ('leads', 'contacts', 'record_channels', 'timeline', 'lead_board_totals',
    'deals', 'deal_stage_history', 'deal_board_totals', 'deal_board_source_totals', 'deal_board_type_totals',
    'deal_funnel_days');
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('leads', 'leads_acl', '1000000 1 1 1 1'),
    ('leads', 'leads_created', '1000000 1'),
    ('leads', 'leads_opened', '9937 1'),
    ('leads', 'leads_opened_board', '9937 1988 497 2'),
    ('leads', 'leads_opened_status_updated', '9937 1988 1 1'),
    ('leads', 'leads_opened_updated', '9937 1 1'),
    ('leads', 'leads_responsible', '1000000 4976 1'),
    ('leads', 'leads_responsible_board', '1000000 4976 996 249 2'),
    ('leads', 'leads_responsible_updated', '1000000 4976 1 1'),
    ('leads', 'leads_status', '1000000 200000 1'),
    ('leads', 'leads_status_updated', '1000000 200000 1 1'),
    ('leads', 'leads_updated', '1000000 1 1'),
    ('contacts', 'contacts_acl', '1000000 1 1 1'),
    ('contacts', 'contacts_last_name', '1000000 2899 1'),
    ('contacts', 'contacts_opened', '10081 1'),
    ('contacts', 'contacts_opened_last_name', '10081 31 1'),
    ('contacts', 'contacts_opened_updated', '10081 1 1'),
    ('contacts', 'contacts_responsible', '1000000 4976 1'),
    ('contacts', 'contacts_responsible_last_name', '1000000 4976 16 1'),
    ('contacts', 'contacts_responsible_updated', '1000000 4976 1 1'),
    ('contacts', 'contacts_updated', '1000000 1 1'),
    ('record_channels', 'record_channels', '4465133 2232567 3 2 1'),
    ('record_channels', 'record_channels_value', '4465133 2232567 2 2'),
    ('timeline', 'timeline_record', '2000000 1000000 1 1'),
    ('lead_board_totals', 'lead_board_totals', '6799 1360 7 4 1'),
    ('deals', 'deals_acl', '1000000 1 1 1 1'),
    ('deals', 'deals_board', '1000000 500000 71429 356 219 71 2 1 1'),
    ('deals', 'deals_close_date', '1000000 1197'),
    ('deals', 'deals_closed_at', '849906 1'),
    ('deals', 'deals_company', '1000000 1000000'),
    ('deals', 'deals_funnel', '1000000 500000 1 1 1 1 1'),
    ('deals', 'deals_funnel_opened', '9949 4975 1 1 1 1 1 1 1'),
    ('deals', 'deals_funnel_owner', '1000000 4976 2488 1 1 1 1 1'),
    ('deals', 'deals_opened', '9949 1'),
    ('deals', 'deals_opened_board', '9949 4975 711 178 2 1 1 1'),
    ('deals', 'deals_opened_updated', '9949 1 1'),
    ('deals', 'deals_report_company', '1000000 1000000 250000 1 1 1'),
    ('deals', 'deals_report_contact', '1000000 1000000 250000 1 1 1'),
    ('deals', 'deals_report_created', '1000000 1 1 1 1 1 1 1 1'),
    ('deals', 'deals_report_responsible', '1000000 4976 1244 1 1 1'),
    ('deals', 'deals_report_stage', '1000000 71429 2 2 1 1 1 1 1 1 1'),
    ('deals', 'deals_responsible', '1000000 4976 1'),
    ('deals', 'deals_responsible_board', '1000000 4976 2488 356 91 2 1 1'),
    ('deals', 'deals_responsible_updated', '1000000 4976 1 1'),
    ('deals', 'deals_stage', '1000000 71429 1'),
    ('deals', 'deals_updated', '1000000 1 1'),
    ('deal_stage_history', 'deal_stage_history_deal', '1954949 2 1'),
    ('deal_stage_history', 'deal_stage_history_stage', '1954949 139640 1'),
    ('deal_board_totals', 'deal_board_totals', '14162 7081 1012 6 4 1'),
    ('deal_board_source_totals', 'deal_board_source_totals', '672 336 28 4 1'),
    ('deal_board_type_totals', 'deal_board_type_totals', '336 168 28 4 1'),
    ('deal_funnel_days', 'deal_funnel_days', '33716 16858 24 4 4 1');
ANALYZE sqlite_schema;
