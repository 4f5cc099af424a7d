"""The template's test harness: baking, answer sets, served projects, load, live services."""
