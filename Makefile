# The two commands of the README: `make run` starts the platform with demo data, `make test` runs every test.
.PHONY: run test lint format bootstrap bench

run:
	@scripts/bootstrap.sh run
	@scripts/run.sh

test:
	@scripts/bootstrap.sh test
	@.venv/bin/python -m pytest $(PYTEST_ARGS)

lint:
	@scripts/bootstrap.sh run
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/python manage.py makemigrations --check --dry-run

format:
	@.venv/bin/ruff format .
	@.venv/bin/ruff check --fix .

bench:
	@scripts/bootstrap.sh run
	@.venv/bin/python -m bench $(BENCH_ARGS)
