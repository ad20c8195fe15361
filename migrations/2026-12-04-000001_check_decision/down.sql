ALTER TABLE products DROP COLUMN extraction_decision, DROP COLUMN sources_agree;
