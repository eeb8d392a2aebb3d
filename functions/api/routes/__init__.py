"""One Powertools Router per resource; api_handler includes them."""
