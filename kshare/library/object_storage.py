"""Materials in an S3-compatible bucket (AWS S3, MinIO, Ceph …), through django-storages.

Configured by the ``KSHARE_MEDIA_S3_*`` variables (``kshare.config.media_storage``); needs the
``s3`` extra (``pip install "kshare[s3]"``). What kshare adds to django-storages' ``S3Storage``:

* uploads go to the bucket in parts of ``part_size`` bytes, at most ``max_parts_in_memory``
  held at once, so a 4 GB recording costs a few parts of memory, not 4 GB;
* ``signed_url`` signs a GET that makes the bucket answer with kshare's ``Content-Type`` and
  ``Content-Disposition`` (the bucket itself answers ``Range`` requests);
* ``read_range`` reads a byte range without downloading the whole object first (django-storages'
  ``S3File`` spools the whole object to a temporary file on the first read).
"""

from __future__ import annotations

from collections.abc import Iterator

from boto3.s3.transfer import TransferConfig
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

MIB = 1024 * 1024


class MediaS3Storage(S3Storage):
    def __init__(
        self, *, part_size: int = 8 * MIB, max_parts_in_memory: int = 4, **settings
    ) -> None:
        # S3 refuses parts under 5 MiB (but the last); below the threshold one PUT is sent.
        transfer = TransferConfig(
            multipart_threshold=part_size,
            multipart_chunksize=part_size,
            max_concurrency=2,
            max_io_queue=max_parts_in_memory,
            preferred_transfer_client="classic",
        )
        # Parts read ahead of the threads sending them (s3transfer's default is 10).
        transfer.max_in_memory_upload_chunks = max_parts_in_memory
        settings.setdefault("transfer_config", transfer)
        super().__init__(**settings)

    def signed_url(
        self, name: str, *, content_type: str, disposition: str, expire: int | None = None
    ) -> str:
        """A GET URL for ``name`` valid ``expire`` seconds (default ``querystring_expire``)."""
        return self.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": "private, max-age=0",
            },
            expire=expire,
        )

    def read_range(self, name: str, *, first: int, last: int, chunk_size: int) -> Iterator[bytes]:
        """The bytes ``first`` to ``last`` (inclusive) of ``name``, streamed from the bucket."""
        key = self._normalize_name(clean_name(name))
        answer = self.bucket.Object(key).get(Range=f"bytes={first}-{last}")
        body = answer["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()
