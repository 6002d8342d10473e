"""Acupuncture clinic tracker."""
