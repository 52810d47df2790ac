"""Does the score predict future engagement? Metrics, baselines, the evaluation protocol, and
the fit of the score's default parameters on earlier time splits (``docs/evaluation.md``)."""
