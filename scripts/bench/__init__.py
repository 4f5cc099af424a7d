"""`make bench` (`python -m scripts.bench`): measure.py takes the figures, report.py judges and draws them."""
