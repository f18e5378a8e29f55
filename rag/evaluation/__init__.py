"""Evaluation: the gold format, scoring (metrics), the resumable runner and its reports
(runner), charts, external sets (cmrc) and the feedback log that grows the gold set."""
