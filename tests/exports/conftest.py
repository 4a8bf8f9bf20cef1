from tests.analyses.conftest import drain, study  # noqa: F401  (shared committed fixtures)
