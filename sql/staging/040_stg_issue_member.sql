-- Which feedback belongs to which issue of the latest window, and how it joined. Key: (issue_id, feedback_id).
CREATE VIEW stg_issue_member AS
SELECT
    issue_id,
    feedback_id,
    similarity,
    method AS membership
FROM issue_member
