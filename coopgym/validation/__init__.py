"""Behavioural targets (TR-3, TR-4) and case-study rubrics, computed from model output."""
