"""Does the score predict future engagement? Metrics, baselines and the evaluation protocol."""
