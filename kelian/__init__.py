"""Kelian's ground floor: what every part of the project needs and none of them owns. Standard library
only, and it imports nothing of the project, so both environments (the Rasa server's and the
services') and every package may import it without drawing a circle."""
