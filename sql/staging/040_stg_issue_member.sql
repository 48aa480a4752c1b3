-- Which feedback belongs to which issue of the latest window, how it joined, and through which of its
-- segments (segment_position; NULL where the whole feedback is the unit). A feedback can belong to
-- several issues, one per problem it raises. Key: (issue_id, feedback_id).
CREATE VIEW stg_issue_member AS
SELECT
    issue_id,
    feedback_id,
    similarity,
    method AS membership,
    segment_position
FROM issue_member
