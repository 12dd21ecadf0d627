from django.db import models


class Tag(models.Model):
    """A topic word shared by session tags, people's skills and people's interests.

    One vocabulary lets later features match "your skill: pandas" with a session tagged pandas.
    """

    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
