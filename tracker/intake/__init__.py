"""Patient intake: private links, the step-by-step form, drafts, submission and review."""
