"""Other places to run the bulk job than this process; each engine calls the same core code."""
