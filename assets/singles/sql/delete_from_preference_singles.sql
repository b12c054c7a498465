-- A singles build is a full rebuild: empty the table (inside the build's transaction).
DELETE FROM preference_singles;
