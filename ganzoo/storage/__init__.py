"""Images on disk: folders of PNG/JPEG files (``folders``), and packed uint8 shards that training
streams from (``packed``, written by ``ganzoo pack``: ``packing``)."""
