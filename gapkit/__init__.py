"""gapkit: the helper package of "Mind the Gap, executable".

Modules, each named for what it holds:

- ``runtime``  seeding, device, profile (quick/full) and cache folder
- ``data``     inputs for the encoders
- ``models``   open_clip models, random or pretrained
- ``metrics``  numbers that describe paired embeddings (the gap and friends)
- ``plot``     the book's figure style and figures
"""

__version__ = "0.1.0"
