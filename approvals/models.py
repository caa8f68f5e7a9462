# Models arrive with the approval engine (issue 10).
