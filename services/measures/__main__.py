"""``python -m services.measures``: run the measures service (consumer + health on :8002)."""

from services.measures.bootstrap import build
from services.measures.collector import tune_collector
from shared.worker import run_worker


def main() -> None:
    tune_collector()
    run_worker("measures", build)


if __name__ == "__main__":
    main()
