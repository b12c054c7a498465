-- The staged rows, the last line of each id where the file repeats one.
INSERT INTO {se_table}
SELECT * FROM staging_{se_table}
QUALIFY row_number() OVER (PARTITION BY id ORDER BY source_line DESC) = 1;
