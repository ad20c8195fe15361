-- How the last price was decided: whether the page's structured data and its
-- visible text showed the same amount, and the decision in a sentence
-- ("structured data and the visible page agree", "the visible sale price wins
-- over a struck structured one"...). NULL until a check records a price.
ALTER TABLE products
    ADD COLUMN sources_agree BOOLEAN,
    ADD COLUMN extraction_decision TEXT;
