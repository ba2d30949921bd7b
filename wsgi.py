import gc

from casework import create_app

app = create_app()
# What start-up builds lives as long as the process: kept out of the collector's full passes,
# which walked it all (~150,000 objects, about 100 ms) every few hundred requests.
gc.collect()
gc.freeze()
