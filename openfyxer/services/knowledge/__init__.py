"""Knowledge: mail and documents into the graph and vector store, and answers and chat over them."""
