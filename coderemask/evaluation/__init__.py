"""Measuring coderemask: model quality now; HumanEval-style evaluation of the repair loop later."""
