"""Risk and alert workflows, one module a responsibility.

- evidence: what happened on a placement, read as warning signs (reads only)
- risk: store the signs, work out the score, open an alert at the threshold
- alerts: open, reopen and email alerts
- concerns: a consultant's flag, a person's report, closing an alert
- actions: what a consultant does in one step: a call about an alert, a concern raised
- responses: a questionnaire answered
- fitting: outcomes as labelled examples, and the fitted model

Other apps import from these modules directly; nothing is re-exported here.
"""
