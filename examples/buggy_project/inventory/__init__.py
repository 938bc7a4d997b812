"""Stock keeping for a small shop (an example with planted bugs for `coderemask repo`)."""
