"""Library use cases: which models a store uses, its categories, index then categorise."""
