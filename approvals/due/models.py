# The public due index arrives with the approval engine (issue 10).
