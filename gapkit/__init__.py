"""gapkit: the helper package of "Mind the Gap, executable".

Modules, each named for what it holds:

- ``runtime``   seeding, device, profile (quick/full) and cache folder
- ``data``      the book's world of captioned shapes, the paper's embeddings, noise inputs
- ``models``    open_clip models: the book's small CLIP or any other, random or pretrained
- ``train``     contrastive training with open_clip's ClipLoss, cached by configuration
- ``workers``   worker processes that train a sweep's runs side by side
- ``graphed``   a training step replayed as a CUDA graph on a GPU
- ``sources``   the paper's embeddings when they can be had, else the book's CLIP, labelled
- ``metrics``   numbers that describe paired embeddings (the gap and friends)
- ``io``        embedding files: read in bounded memory, written in shards
- ``geometry``  moving embeddings: Procrustes alignment, the shift along the gap
- ``toys``      the paper's 3-D sphere toy and gradient descent on it
- ``shifting``  shifting the gap after training, and choosing by how much on held-out data
- ``cone``      the cone effect: random networks, Theorem 1, the size of a cone
- ``plot``      the book's figure style and figures
- ``report``    tables for the chapters' text
- ``explorer``  explorers whose every figure is drawn in advance: they work without a kernel
- ``embed``     a folder of images and captions through any open_clip model, to a file
- ``cli``       the ``gapkit embed`` and ``gapkit measure`` commands
"""

__version__ = "0.1.0"
