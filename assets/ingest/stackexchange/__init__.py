"""The Stack Exchange source: site data dumps (Posts, Votes, Comments, Users XML)."""
