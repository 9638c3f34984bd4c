-- Model v2 states each P with its rank among the training setups
-- ("top 12% of setups"); NULL for classic signals.
ALTER TABLE signals ADD COLUMN setup_top_pct REAL;
