-- This connection's staging for one dump file's rows: the table's columns, no rows.
-- {se_table}: one of stackexchange/rows.TABLES, filled in from there only.
CREATE OR REPLACE TEMP TABLE staging_{se_table} AS SELECT * FROM {se_table} LIMIT 0;
