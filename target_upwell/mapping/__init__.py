"""Map a tap's records to Upwell's CustomersInsertInput, and check them."""
