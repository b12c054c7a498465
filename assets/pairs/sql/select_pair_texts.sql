-- Texts for dedup, in text_idx order.
SELECT body FROM pair_texts ORDER BY text_idx;
