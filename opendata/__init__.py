"""Open data: the dataset catalogue, its files made at publish, and the routes serving them."""
