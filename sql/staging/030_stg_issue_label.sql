-- Names analysts gave issues (`cx-nlp issues label`). Key: issue_id.
CREATE VIEW stg_issue_label AS
SELECT
    issue_id,
    label AS analyst_label,
    set_at AS analyst_label_set_at
FROM issue_label
