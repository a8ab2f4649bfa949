"""The FAISS implementation of the vector backend: indexes derived from the catalog's vectors."""
