-- What the domain provider asks a merchant to create for a custom domain (Vercel's TXT
-- challenge, A or CNAME), and its last word on the domain, kept so that listing domains shows
-- them without asking the provider again.
ALTER TABLE lumora.domains
    ADD COLUMN dns_records    jsonb,
    ADD COLUMN status_message text;
