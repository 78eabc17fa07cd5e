"""Singer target that loads customers into Upwell."""
