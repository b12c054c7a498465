"""Raw posts and comments from each community source, in the warehouse's raw tables."""
