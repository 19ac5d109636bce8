from tongban.licences.tests.fixtures import amr, civil, county  # noqa: F401  (pytest fixtures)
