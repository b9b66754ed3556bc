"""Pieces shared by pages: the site frame, figure cards, empty and error states."""
