"""One module per group of related commands; each is imported only when one of its commands runs."""
