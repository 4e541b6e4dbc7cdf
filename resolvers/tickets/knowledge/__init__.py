"""The knowledge base: articles, their full-text search, ticket links and votes."""
