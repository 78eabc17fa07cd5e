"""Send mapped batches to Upwell: batching, the window, reconcile, the client."""
