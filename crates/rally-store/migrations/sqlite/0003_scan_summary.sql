-- Market context of each scan (latest VIX and its label, breadth), as JSON,
-- so read-only consumers (dashboard, bot) can show it without recomputing.
ALTER TABLE scan_runs ADD COLUMN summary_json TEXT;
