from tongban.licences.tests.fixtures import (  # noqa: F401  (pytest fixtures)
    amr,
    civil,
    county,
    food_type,
    issue,
    keyed_amr,
    person,
)
