-- Progress of multi-part deliveries (an event rendered into several messages,
-- e.g. many signals split across Discord messages). Parts before
-- `parts_done` were delivered and are skipped on retry, so a partial failure
-- never re-sends the parts that got through.
ALTER TABLE outbox_delivery ADD COLUMN parts_done INTEGER NOT NULL DEFAULT 0;
